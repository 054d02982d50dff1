// Memory management: tidy/dispose/using keep live tensors and pooled bytes flat; misuse throws clear errors.
import { describe, expect, it } from 'vitest';
import { RadixError, bitwiseAnd, dispose, full, keep, memory, randn, tensor, tidy, zeros, getBackend } from './index.js';
import { testBackends } from './testing/index.js';

const backends = await testBackends();

describe.each(backends.map((b) => [b.name, b] as const))('memory on %s', (_n, backend) => {
  it('10,000 small ops inside tidy leave live tensors and pooled bytes flat', async () => {
    const x = randn([17, 33], { backend });
    const step = () =>
      tidy(() => {
        let y = x;
        for (let i = 0; i < 100; i++) y = y.mul(0.5).add(1).relu().sub(x).abs();
        return y;
      });
    const warm = step();
    await warm.data();
    warm.dispose();
    const before = memory();
    for (let i = 0; i < 20; i++) {
      const r = step(); // 500 ops each → 10,000 ops in total
      if (i % 5 === 4) await r.data();
      r.dispose();
    }
    await backend.sync();
    const after = memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes[backend.name]).toBe(before.liveBytes[backend.name]);
    expect(after.poolBytes[backend.name]).toBe(before.poolBytes[backend.name]);
    x.dispose();
  });

  it('tidy keeps returned tensors (nested), disposes the rest, and supports keep()', () => {
    const start = memory().liveTensors;
    let kept: ReturnType<typeof zeros> | undefined;
    const out = tidy(() => {
      const a = zeros([3], { backend });
      const b = a.add(1);
      kept = keep(b.mul(3));
      a.add(2);
      return { b, list: [a] };
    });
    expect(out.b.isDisposed).toBe(false);
    expect(out.list[0]!.isDisposed).toBe(false);
    expect(memory().liveTensors).toBe(start + 3);
    dispose([out, kept]);
    expect(memory().liveTensors).toBe(start);
  });

  it('disposes on `using` scope exit', () => {
    const start = memory().liveTensors;
    {
      using t = full([4], 2, { backend });
      expect(t.isDisposed).toBe(false);
    }
    expect(memory().liveTensors).toBe(start);
  });

  it('refuses use after dispose and async tidy, naming the op', () => {
    const t = tensor([1, 2, 3], { backend });
    t.dispose();
    expect(() => t.add(1)).toThrow(RadixError);
    expect(() => t.add(1)).toThrow(/add: tensor of shape \[3\] was used after dispose/);
    expect(() => tidy(() => Promise.resolve(1) as never)).toThrow(/tidy: .*Promise/);
  });

  it('refuses bad shapes and dtypes with the op, the shapes and the reason', () => {
    const a = zeros([2, 3], { backend });
    const b = zeros([4], { backend });
    expect(() => a.add(b)).toThrow(/add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
    expect(() => a.reshape(4, 2)).toThrow(/reshape: shape \[4, 2\] does not match the 6 elements of the input \[2, 3\]/);
    expect(() => a.permute(0)).toThrow(/permute: got 1 dims for a tensor of rank 2/);
    expect(() => a.transpose(0, 2)).toThrow(/transpose: dim 2 is out of range/);
    expect(() => tensor([[1, 2], [3]], { backend })).toThrow(/tensor: ragged/);
    expect(() => zeros([2, -1], { backend })).toThrow(/full: invalid shape/);
    expect(() => zeros([2, 1.5], { backend })).toThrow(/invalid shape/);
    const f = zeros([2], { backend });
    expect(() => bitwiseAnd(f, f)).toThrow(/bitwiseAnd: expects integer or bool tensors/);
    f.dispose();
    dispose([a, b]);
  });

  it('refuses tensors larger than one storage binding with a clear error', () => {
    const limit = backend.info.maxBindingBytes;
    const n = Math.floor(limit / 4) + 16;
    expect(() => zeros([n], { backend })).toThrow(/full: output of shape \[\d+\] needs \d+ bytes, more than the .* maximum storage binding/);
  });
});

describe('backends', () => {
  it('never mixes backends silently', () => {
    if (backends.length < 2) return;
    const a = zeros([2], { backend: backends[0] });
    const b = zeros([2], { backend: backends[1] });
    expect(() => a.add(b)).toThrow(/add: tensors are on different backends/);
    dispose([a, b]);
  });
  it('getBackend names a missing backend', () => {
    expect(getBackend('cpu').name).toBe('cpu');
  });
});
