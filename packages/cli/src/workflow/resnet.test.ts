// The classifier's torchvision layout: reduced-width torchvision 0.14 resnet18/resnet34 state dicts
// (tools/reference/gen_cli_resnet.py) load through the core's .pth reader and give torchvision's logits on every backend.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Generator, tensor, type Backend, type Tensor } from '@radix/tensor-webgpu';
import { expectClose, testBackends } from '@radix/tensor-webgpu/testing';
import { describe, expect, it } from 'vitest';
import { ResNet, loadTorchvisionWeights, type ResNetDepth } from './resnet.js';

const DIR = fileURLToPath(new URL('../../fixtures/resnet/', import.meta.url));
const fx = JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8')) as {
  cases: Record<string, { depth: ResNetDepth; width: number; numClasses: number; logits: number[]; keys: [string, number[]][] }>;
};

function input(backend: Backend): Tensor {
  // The generator's input: sin(17 · linspace(0, 1, n)) · 0.5 + 0.5.
  const n = 2 * 3 * 40 * 40;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(17 * (i / (n - 1))) * 0.5 + 0.5;
  return tensor(x, { shape: [2, 3, 40, 40], backend });
}

describe.each(await testBackends())('ResNet on $name', (backend) => {
  for (const [file, c] of Object.entries(fx.cases)) {
    it(`loads torchvision's ${file} and gives its logits to 1e-4`, async () => {
      const net = new ResNet({ depth: c.depth, width: c.width, numClasses: c.numClasses, backend, generator: new Generator(3) });
      expect(Object.entries(net.stateDict()).map(([k, t]) => [k, [...t.shape]])).toEqual(c.keys);
      const r = await loadTorchvisionWeights(net, `${DIR}${file}`);
      expect(r.skipped).toEqual([]);
      net.eval();
      const y = net.call(input(backend));
      expect(y.shape).toEqual([2, c.numClasses]);
      expectClose(await y.data(), c.logits, { rtol: 1e-4, atol: 1e-4 }, file);
      y.dispose();
      net.dispose();
    });
  }

  it('keeps a fresh head when the file has another class count, and trains one step', async () => {
    const net = new ResNet({ depth: 18, width: 4, numClasses: 3, backend, generator: new Generator(5) });
    const r = await loadTorchvisionWeights(net, `${DIR}resnet18-w4.pth`);
    expect(r.skipped).toEqual(['fc.weight', 'fc.bias']);
    const y = net.call(input(backend));
    expect(y.shape).toEqual([2, 3]);
    y.sum().backward();
    expect(net.conv1.weight.grad).not.toBeNull();
    net.dispose();
  });

  it('refuses a stem or depth that does not fit the file, naming both shapes', async () => {
    const small = new ResNet({ depth: 18, width: 4, numClasses: 5, stem: 'small', backend });
    await expect(loadTorchvisionWeights(small, `${DIR}resnet18-w4.pth`)).rejects.toThrow(/conv1\.weight is \[4, 3, 7, 7\] in the file but \[4, 3, 3, 3\]/);
    const deep = new ResNet({ depth: 34, width: 4, numClasses: 5, backend });
    await expect(loadTorchvisionWeights(deep, `${DIR}resnet18-w4.pth`)).rejects.toThrow(/missing keys: .*layer1\.2\.conv1\.weight/);
    await expect(loadTorchvisionWeights(deep, `${DIR}nope.pth`)).rejects.toThrow(/does not exist/);
    small.dispose();
    deep.dispose();
  });
});

describe('ResNet options', () => {
  it('rejects bad depth, width and class counts', () => {
    expect(() => new ResNet({ depth: 50 as ResNetDepth, numClasses: 3 })).toThrow(/depth must be 18 or 34/);
    expect(() => new ResNet({ width: 0, numClasses: 3 })).toThrow(/width must be a positive integer/);
    expect(() => new ResNet({ numClasses: 1 })).toThrow(/numClasses must be an integer ≥ 2/);
  });
});
