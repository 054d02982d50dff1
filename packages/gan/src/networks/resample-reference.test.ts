// upfirdn2d and conv2dResample against stylegan2-ada-pytorch's torch_utils ops on the paths the networks do not take
// (asymmetric/negative padding, separable and non-symmetric filters, flip_filter, up+down, grouped transposed conv,
// the generic fallback): outputs, first gradients and the double backward, on every backend.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Tensor, dispose, grad, loadSafetensors } from '@radix/tensor-webgpu';
import { expectClose, testBackends } from '@radix/tensor-webgpu/testing';
import { conv2dResample } from './conv2d-resample.js';
import { NETWORK_FIXTURES, networkFixtureCases } from './fixture-cases.js';
import { type FirPadding, setupFilter, upfirdn2d } from './upfirdn2d.js';

interface OpCase {
  op: 'upfirdn2d' | 'conv2d_resample';
  index: number;
  f: number[] | number[][] | null;
  up?: number;
  down?: number;
  padding?: FirPadding;
  gain?: number;
  flip_filter?: boolean;
  groups?: number;
  flip_weight?: boolean;
}

const ops = (networkFixtureCases() as unknown as { ops: OpCase[] }).ops;
const backends = await testBackends();

async function close(label: string, a: Tensor, b: Tensor): Promise<void> {
  expect(a.shape, label).toEqual(b.shape);
  const want = await b.data();
  const scale = Math.max(...Array.from(want, Math.abs));
  expectClose(await a.data(), want, { rtol: 1e-4, atol: 1e-4 * Math.min(1, scale || 1) }, label);
}

describe.each(backends.map((b) => [b.name, b] as const))('FIR resampling vs torch_utils.ops (%s)', (bname, backend) => {
  it.each(ops.map((o) => [`${o.index}: ${o.op} ${JSON.stringify({ up: o.up, down: o.down, padding: o.padding, f: o.f, groups: o.groups })}`, o] as const))('%s', async (_, o) => {
    const all = await loadSafetensors(join(NETWORK_FIXTURES, 'ops.safetensors'), { backend });
    const t = (k: string) => all[`op.${o.index}.${k}`]!;
    const f = o.f === null ? null : setupFilter(o.f, { backend });
    const x = t('x').detach().requiresGrad_();
    const label = `${bname} op ${o.index}`;
    if (o.op === 'upfirdn2d') {
      const y = upfirdn2d(x, f, { up: o.up, down: o.down, padding: o.padding, gain: o.gain, flipFilter: o.flip_filter });
      await close(`${label} y`, y, t('y'));
      const [gx] = grad(y.mul(t('r')).sum(), [x]);
      await close(`${label} ∂x`, gx!, t('gx'));
      dispose([y, gx]);
    } else {
      const w = t('w').detach().requiresGrad_();
      const y = conv2dResample(x, w, f, { up: o.up, down: o.down, padding: o.padding, groups: o.groups, flipWeight: o.flip_weight });
      await close(`${label} y`, y, t('y'));
      const [gx, gw] = grad(y.mul(t('r')).sum(), [x, w], { createGraph: true });
      await close(`${label} ∂x`, gx!, t('gx'));
      await close(`${label} ∂w`, gw!, t('gw'));
      const [ggw] = grad(gx!.square().sum(), [w]);
      await close(`${label} ∂w ‖∂x‖²`, ggw!, t('ggw'));
      dispose([w, y, gx, gw, ggw]);
    }
    dispose([x, f, all]);
  });
});
