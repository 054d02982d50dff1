// UNet2DModel against diffusers' own UNet2DModel (tools/reference/gen_diffusion_unet.py): state-dict keys in order,
// forward and gradients on both backends for three configurations, folder round trips, .bin loading, refusals.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Backend, type Tensor, dispose, grad, loadSafetensors, saveSafetensors, tensor } from '@radix/tensor-webgpu';
import { compare, testBackends } from '@radix/tensor-webgpu/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { UNet2DModel, renameDeprecatedAttentionKeys, resolveUNet2DConfig } from '../index.js';

const FIX = new URL('../../fixtures/unet/', import.meta.url).pathname;
const CASES = ['uncond-attn', 'class-scaleshift', 'scaleshift-midattn'] as const;
const backends = await testBackends();
interface Meta { gradParams: string[]; stateDictKeys: [string, number[]][]; commit: string }
const meta = (name: string) => JSON.parse(readFileSync(join(FIX, name, 'meta.json'), 'utf8')) as Meta;

/** Worst absolute error per backend and quantity, printed at the end (the numbers the README states). */
const worst = new Map<string, number>();
afterAll(() => console.log(`UNet2DModel vs diffusers, worst |error|: ${JSON.stringify(Object.fromEntries(worst))}`));

async function close(t: Tensor, expected: Tensor, label: string, tol = 1e-4): Promise<void> {
  expect([...t.shape], label).toEqual([...expected.shape]);
  const r = compare(await t.data() as Float32Array, await expected.data() as Float32Array, { rtol: tol, atol: tol });
  const key = `${t.backend.name} ${label.includes('d/d') ? 'grad' : 'forward'}`;
  worst.set(key, Math.max(worst.get(key) ?? 0, r.maxAbs));
  expect(r.ok, `${label}: max abs ${r.maxAbs}, max rel ${r.maxRel} at ${r.worst}`).toBe(true);
}

describe('UNet2DModel state-dict keys', () => {
  it.each(CASES)('%s has exactly diffusers\' keys and shapes, in its order', (name) => {
    const cfg = JSON.parse(readFileSync(join(FIX, name, 'config.json'), 'utf8')) as Record<string, unknown>;
    const unet = UNet2DModel.fromConfig(cfg, { backend: 'cpu' });
    const sd = unet.stateDict();
    const ours = Object.entries(sd).map(([k, t]) => `${k} [${t.shape.join(', ')}]`);
    const theirs = meta(name).stateDictKeys.map(([k, s]) => `${k} [${s.join(', ')}]`);
    expect(ours.join('\n')).toBe(theirs.join('\n'));
    dispose(sd);
    unet.dispose();
  });
});

describe.each(backends.map((b) => [b.name, b] as [string, Backend]))('UNet2DModel vs diffusers on %s', (_, backend) => {
  it.each(CASES)('%s: forward and gradients match', async (name) => {
    const unet = await UNet2DModel.fromPretrained(join(FIX, name), { backend });
    unet.eval();
    const io = await loadSafetensors(join(FIX, name, 'io.safetensors'), { backend });
    const sample = io.sample!.clone().requiresGrad_();
    const out = unet.call(sample, io.timesteps!, { classLabels: io.class_labels });
    await close(out, io.output!, `${name} output`);
    const n = out.size;
    const w = tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(0.1 * i)), { shape: [...out.shape], backend });
    const loss = out.mul(w).sum();
    const params = Object.fromEntries(unet.namedParameters());
    const names = meta(name).gradParams;
    const grads = grad(loss, [sample, ...names.map((k) => params[k]!)]);
    await close(grads[0]!, io['grad.sample']!, `${name} d/d sample`);
    for (let i = 0; i < names.length; i++) await close(grads[i + 1]!, io[`grad.${names[i]}`]!, `${name} d/d ${names[i]}`);
    dispose([out, w, loss, sample, grads, io]);
    unet.dispose();
  }, 120_000);

  it('savePretrained → fromPretrained reads back identical weights and config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'radix-unet-'));
    try {
      const unet = await UNet2DModel.fromPretrained(join(FIX, 'class-scaleshift'), { backend });
      await unet.savePretrained(join(dir, 'unet'));
      const back = await UNet2DModel.fromPretrained(join(dir, 'unet'), { backend });
      expect(back.config).toEqual(unet.config);
      const a = unet.stateDict();
      const b = back.stateDict();
      expect(Object.keys(b)).toEqual(Object.keys(a));
      for (const k of Object.keys(a)) expect(Array.from(await b[k]!.data()), k).toEqual(Array.from(await a[k]!.data()));
      const written = JSON.parse(readFileSync(join(dir, 'unet', 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(written._class_name).toBe('UNet2DModel');
      expect(written.resnet_time_scale_shift).toBe('scale_shift');
      dispose([a, b]);
      unet.dispose();
      back.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('UNet2DModel folders and refusals', () => {
  it('reads diffusion_pytorch_model.bin (torch.save) with the same weights as the safetensors file', async () => {
    const a = await UNet2DModel.fromPretrained(join(FIX, 'uncond-attn'), { backend: 'cpu' });
    const b = await UNet2DModel.fromPretrained(join(FIX, 'uncond-bin'), { backend: 'cpu' });
    const sa = a.stateDict();
    const sb = b.stateDict();
    for (const k of Object.keys(sa)) expect(Array.from(await sb[k]!.data()), k).toEqual(Array.from(await sa[k]!.data()));
    dispose([sa, sb]);
    a.dispose();
    b.dispose();
  });

  it('renames pre-0.14 attention keys (query/key/value/proj_attn)', async () => {
    const sd = await loadSafetensors(join(FIX, 'uncond-attn', 'diffusion_pytorch_model.safetensors'), { backend: 'cpu' });
    const old: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(sd)) {
      old[k.replace('.to_q.', '.query.').replace('.to_k.', '.key.').replace('.to_v.', '.value.').replace('.to_out.0.', '.proj_attn.')] = v;
    }
    expect(Object.keys(old).some((k) => k.endsWith('attentions.0.proj_attn.weight'))).toBe(true);
    expect(Object.keys(renameDeprecatedAttentionKeys(old))).toEqual(Object.keys(sd));
    dispose(sd);
  });

  it('lists missing and unexpected keys, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'radix-unet-'));
    try {
      const sd = await loadSafetensors(join(FIX, 'uncond-attn', 'diffusion_pytorch_model.safetensors'), { backend: 'cpu' });
      const w = sd['conv_in.weight']!;
      delete sd['conv_in.weight'];
      sd['conv_in.weights'] = w;
      mkdirSync(join(dir, 'm'));
      copyFileSync(join(FIX, 'uncond-attn', 'config.json'), join(dir, 'm', 'config.json'));
      await saveSafetensors(join(dir, 'm', 'diffusion_pytorch_model.safetensors'), sd);
      await expect(UNet2DModel.fromPretrained(join(dir, 'm'), { backend: 'cpu' })).rejects.toThrow(
        /diffusion_pytorch_model\.safetensors: [\s\S]*unexpected keys: "conv_in\.weights"[\s\S]*missing keys: "conv_in\.weight"/,
      );
      dispose(sd);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown block types, activations and bad widths by name', () => {
    expect(() => resolveUNet2DConfig({ down_block_types: ['CrossAttnDownBlock2D', 'DownBlock2D'], up_block_types: ['UpBlock2D', 'UpBlock2D'], block_out_channels: [32, 64] }))
      .toThrow(/downBlockTypes\[0\] 'CrossAttnDownBlock2D' is not supported/);
    expect(() => resolveUNet2DConfig({ upBlockTypes: ['SkipUpBlock2D', 'UpBlock2D'], downBlockTypes: ['DownBlock2D', 'DownBlock2D'], blockOutChannels: [32, 64] }))
      .toThrow(/upBlockTypes\[0\] 'SkipUpBlock2D' is not supported/);
    expect(() => resolveUNet2DConfig({ mid_block_type: 'UNetMidBlock2DCrossAttn' })).toThrow(/midBlockType 'UNetMidBlock2DCrossAttn'/);
    expect(() => resolveUNet2DConfig({ act_fn: 'tanh' })).toThrow(/actFn 'tanh' is not supported/);
    expect(() => resolveUNet2DConfig({ blockOutChannels: [30, 60, 90, 120] })).toThrow(/blockOutChannels\[0\] = 30 is not divisible by normNumGroups 32/);
    expect(() => resolveUNet2DConfig({ cross_attention_dim: 8 })).toThrow(/field 'cross_attention_dim' is not a UNet2DModel option/);
    expect(() => resolveUNet2DConfig({ time_embedding_type: 'fourier' })).toThrow(/timeEmbeddingType 'fourier' is not supported/);
  });

  it('refuses samples whose size is not a multiple of 2^(levels − 1) and missing class labels', async () => {
    const unet = await UNet2DModel.fromPretrained(join(FIX, 'class-scaleshift'), { backend: 'cpu' });
    const x = tensor(new Float32Array(1 * 1 * 6 * 7), { shape: [1, 1, 6, 7], backend: 'cpu' });
    expect(() => unet.call(x, 1, { classLabels: [0] })).toThrow(/6×7\) must be multiples of 2/);
    const y = tensor(new Float32Array(64), { shape: [1, 1, 8, 8], backend: 'cpu' });
    expect(() => unet.call(y, 1)).toThrow(/classLabels are required/);
    expect(() => unet.call(y, 1, { classLabels: [3] })).toThrow(/class label 3 is outside \[0, 3\)/);
    dispose([x, y]);
    unet.dispose();
  });

  it('records the diffusers commit in the fixtures', () => {
    for (const c of CASES) expect(meta(c).commit).toMatch(/^[0-9a-f]{40}$/);
  });
});
