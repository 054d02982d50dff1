// The original's constructor kwargs (snake_case, as checkpoints store them) turned into Radix network configs
// (camelCase), with every key checked: an argument Radix does not implement is refused, not silently dropped.
import { RadixError } from '@radix/tensor-webgpu';
import type { StyleGAN2DiscriminatorConfig } from '../networks/discriminator.js';
import type { StyleGAN2GeneratorConfig } from '../networks/generator.js';

/** snake_case → camelCase (`img_resolution` → `imgResolution`). @example camelCase('z_dim') // 'zDim' */
export function camelCase(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

type Spec = { [key: string]: true | Spec };

const MAPPING: Spec = { num_layers: true, embed_features: true, layer_features: true, activation: true, lr_multiplier: true, w_avg_beta: true };
const G_SPEC: Spec = {
  z_dim: true, c_dim: true, w_dim: true, img_resolution: true, img_channels: true, mapping_kwargs: MAPPING,
  synthesis_kwargs: {
    channel_base: true, channel_max: true, num_fp16_res: true, architecture: true, resample_filter: true, conv_clamp: true,
    fp16_channels_last: true, kernel_size: true, use_noise: true, activation: true, channels_last: true,
  },
};
const D_SPEC: Spec = {
  c_dim: true, img_resolution: true, img_channels: true, architecture: true, channel_base: true, channel_max: true,
  num_fp16_res: true, conv_clamp: true, cmap_dim: true,
  block_kwargs: { activation: true, resample_filter: true, fp16_channels_last: true, freeze_layers: true },
  mapping_kwargs: { num_layers: true, embed_features: true, layer_features: true, activation: true, lr_multiplier: true },
  epilogue_kwargs: { mbstd_group_size: true, mbstd_num_channels: true, activation: true },
};
const G_POSITIONAL = ['z_dim', 'c_dim', 'w_dim', 'img_resolution', 'img_channels', 'mapping_kwargs', 'synthesis_kwargs'];
const D_POSITIONAL = ['c_dim', 'img_resolution', 'img_channels', 'architecture', 'channel_base', 'channel_max', 'num_fp16_res', 'conv_clamp', 'cmap_dim', 'block_kwargs', 'mapping_kwargs', 'epilogue_kwargs'];

function convert(v: Record<string, unknown>, spec: Spec, where: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RadixError('initKwargs', `${where} must be a dict, got ${JSON.stringify(v)}`);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const s = Object.prototype.hasOwnProperty.call(spec, k) ? spec[k] : undefined;
    if (!s) throw new RadixError('initKwargs', `${where}: unsupported argument '${k}' (Radix implements ${Object.keys(spec).join(', ')})`);
    out[camelCase(k)] = s === true ? x : x === null ? undefined : convert(x as Record<string, unknown>, s, `${where}.${k}`);
  }
  return out;
}

function merge(args: unknown[], kwargs: Record<string, unknown>, names: string[], where: string): Record<string, unknown> {
  if (args.length > names.length) throw new RadixError('initKwargs', `${where}: ${args.length} positional arguments, at most ${names.length} expected`);
  const all: Record<string, unknown> = { ...kwargs };
  args.forEach((a, i) => {
    if (names[i]! in kwargs) throw new RadixError('initKwargs', `${where}: '${names[i]}' given positionally and by keyword`);
    all[names[i]!] = a;
  });
  return all;
}

/**
 * A {@link StyleGAN2GeneratorConfig} from the original Generator's init args and kwargs.
 *
 * @example
 * generatorConfigFromKwargs([], { z_dim: 512, c_dim: 0, w_dim: 512, img_resolution: 32, img_channels: 3 });
 */
export function generatorConfigFromKwargs(args: unknown[], kwargs: Record<string, unknown>, where = 'G'): StyleGAN2GeneratorConfig {
  return convert(merge(args, kwargs, G_POSITIONAL, where), G_SPEC, where) as unknown as StyleGAN2GeneratorConfig;
}

/**
 * A {@link StyleGAN2DiscriminatorConfig} from the original Discriminator's init args and kwargs.
 *
 * @example
 * discriminatorConfigFromKwargs([], { c_dim: 0, img_resolution: 32, img_channels: 3, architecture: 'resnet' });
 */
export function discriminatorConfigFromKwargs(args: unknown[], kwargs: Record<string, unknown>, where = 'D'): StyleGAN2DiscriminatorConfig {
  return convert(merge(args, kwargs, D_POSITIONAL, where), D_SPEC, where) as unknown as StyleGAN2DiscriminatorConfig;
}
