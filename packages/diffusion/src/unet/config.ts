// UNet2DModel's configuration: diffusers' UNet2DModel config fields camelCased, their defaults, reading diffusers'
// snake_case config.json, and validation that names the offending field (unknown block types are refused here).

/** Down block types this UNet builds (diffusers' names). */
export const DOWN_BLOCK_TYPES = ['DownBlock2D', 'AttnDownBlock2D'] as const;
/** Up block types this UNet builds (diffusers' names). */
export const UP_BLOCK_TYPES = ['UpBlock2D', 'AttnUpBlock2D'] as const;
/** Activations diffusers' `get_activation` knows (`swish` = `silu`). */
export const ACTIVATIONS = ['silu', 'swish', 'mish', 'gelu', 'relu'] as const;

/** A down block type name. */
export type DownBlockType = (typeof DOWN_BLOCK_TYPES)[number];
/** An up block type name. */
export type UpBlockType = (typeof UP_BLOCK_TYPES)[number];
/** An activation name of diffusers' `get_activation`. */
export type ActivationName = (typeof ACTIVATIONS)[number];

/**
 * Configuration of {@link UNet2DModel}: diffusers' `UNet2DModel.__init__` arguments, camelCased, with its defaults.
 * `fromConfig` also accepts the snake_case keys of a diffusers `config.json`.
 *
 * @example
 * const cfg: UNet2DConfig = { ...DEFAULT_UNET2D_CONFIG, sampleSize: 32, blockOutChannels: [32, 64], normNumGroups: 8,
 *   downBlockTypes: ['DownBlock2D', 'AttnDownBlock2D'], upBlockTypes: ['AttnUpBlock2D', 'UpBlock2D'] };
 */
export interface UNet2DConfig {
  /** Height and width of the samples (informational, as in diffusers; any multiple of 2^(levels−1) runs). */
  sampleSize: number | [number, number] | null;
  inChannels: number;
  outChannels: number;
  /** Map x to 2x − 1 before the first convolution. */
  centerInputSample: boolean;
  /** Only 'positional' (sinusoidal) time embeddings are built. */
  timeEmbeddingType: 'positional';
  /** Width of the time embedding (default 4 × blockOutChannels[0]). */
  timeEmbeddingDim: number | null;
  /** `downscale_freq_shift` of the sinusoidal embedding (diffusers' UNet2DModel default 0). */
  freqShift: number;
  /** Order the embedding as [cos, sin] instead of [sin, cos] (default true). */
  flipSinToCos: boolean;
  downBlockTypes: string[];
  /** 'UNetMidBlock2D' or null (no mid block). */
  midBlockType: string | null;
  upBlockTypes: string[];
  blockOutChannels: number[];
  layersPerBlock: number;
  /** Output scale of the mid block's resnets and attention. */
  midBlockScaleFactor: number;
  downsamplePadding: number;
  /** How the attention blocks downsample: a strided conv or a ResnetBlock2D with average pooling. */
  downsampleType: 'conv' | 'resnet';
  /** How the attention blocks upsample: nearest ×2 + conv, or a ResnetBlock2D with nearest upsampling. */
  upsampleType: 'conv' | 'resnet';
  dropout: number;
  actFn: ActivationName;
  /** Channels per attention head (null: one head as wide as the block). */
  attentionHeadDim: number | null;
  normNumGroups: number;
  /** Groups of the mid block's attention norm (null: normNumGroups with 'default' time shift, none with 'scale_shift'). */
  attnNormNumGroups: number | null;
  normEps: number;
  /** How the time embedding enters the resnets: added ('default') or as (1 + scale, shift) after norm2. */
  resnetTimeScaleShift: 'default' | 'scale_shift';
  /** Attention in the mid block. */
  addAttention: boolean;
  /** null with numClassEmbeds: a learned embedding table; 'timestep': labels through the sinusoidal + MLP; 'identity'. */
  classEmbedType: 'timestep' | 'identity' | null;
  /** Number of classes of the learned class embedding (null: unconditional). */
  numClassEmbeds: number | null;
  /** Only used by diffusers' 'learned' time embedding, which is not built; kept for round trips. */
  numTrainTimesteps: number | null;
}

/**
 * diffusers' UNet2DModel defaults.
 *
 * @example
 * const cfg = { ...DEFAULT_UNET2D_CONFIG, blockOutChannels: [16, 32] };
 */
export const DEFAULT_UNET2D_CONFIG: Readonly<UNet2DConfig> = Object.freeze({
  sampleSize: null,
  inChannels: 3,
  outChannels: 3,
  centerInputSample: false,
  timeEmbeddingType: 'positional',
  timeEmbeddingDim: null,
  freqShift: 0,
  flipSinToCos: true,
  downBlockTypes: ['DownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D', 'AttnDownBlock2D'],
  midBlockType: 'UNetMidBlock2D',
  upBlockTypes: ['AttnUpBlock2D', 'AttnUpBlock2D', 'AttnUpBlock2D', 'UpBlock2D'],
  blockOutChannels: [224, 448, 672, 896],
  layersPerBlock: 2,
  midBlockScaleFactor: 1,
  downsamplePadding: 1,
  downsampleType: 'conv',
  upsampleType: 'conv',
  dropout: 0,
  actFn: 'silu',
  attentionHeadDim: 8,
  normNumGroups: 32,
  attnNormNumGroups: null,
  normEps: 1e-5,
  resnetTimeScaleShift: 'default',
  addAttention: true,
  classEmbedType: null,
  numClassEmbeds: null,
  numTrainTimesteps: null,
} as UNet2DConfig);

const KEYS = Object.keys(DEFAULT_UNET2D_CONFIG) as (keyof UNet2DConfig)[];
const SNAKE = new Map(KEYS.map((k) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), k]));

function fail(field: string, why: string): never {
  throw new Error(`UNet2DModel config: ${field} ${why}`);
}

function posInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Completes a partial config (camelCase or diffusers' snake_case keys, e.g. a parsed `config.json`) with diffusers'
 * defaults and validates it. Keys starting with `_` (`_class_name`, `_diffusers_version`) are ignored; any other
 * unknown key, an unknown block type, activation or option throws an error naming it.
 *
 * @example
 * const cfg = resolveUNet2DConfig(JSON.parse(readFileSync('unet/config.json', 'utf8')));
 */
export function resolveUNet2DConfig(input: Record<string, unknown>): UNet2DConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) fail('', `must be an object, got ${JSON.stringify(input)}`);
  const cfg = { ...DEFAULT_UNET2D_CONFIG } as Record<string, unknown>;
  for (const [raw, v] of Object.entries(input)) {
    if (raw.startsWith('_')) continue;
    const key = (KEYS as string[]).includes(raw) ? raw : SNAKE.get(raw);
    if (!key) fail(`field '${raw}'`, `is not a UNet2DModel option (known: ${KEYS.join(', ')})`);
    if (v === undefined) continue;
    cfg[key] = Array.isArray(v) ? [...v] : v;
  }
  const c = cfg as unknown as UNet2DConfig;
  posInt(c.inChannels, 'inChannels');
  posInt(c.outChannels, 'outChannels');
  posInt(c.layersPerBlock, 'layersPerBlock');
  posInt(c.normNumGroups, 'normNumGroups');
  if (!Array.isArray(c.blockOutChannels) || c.blockOutChannels.length === 0) fail('blockOutChannels', 'must be a non-empty array');
  c.blockOutChannels.forEach((ch, i) => {
    posInt(ch, `blockOutChannels[${i}]`);
    if (ch % c.normNumGroups !== 0) fail(`blockOutChannels[${i}]`, `= ${ch} is not divisible by normNumGroups ${c.normNumGroups}`);
  });
  if (!Array.isArray(c.downBlockTypes) || !Array.isArray(c.upBlockTypes)) fail('downBlockTypes/upBlockTypes', 'must be arrays');
  if (c.downBlockTypes.length !== c.blockOutChannels.length) {
    fail('downBlockTypes', `has ${c.downBlockTypes.length} entries but blockOutChannels has ${c.blockOutChannels.length}`);
  }
  if (c.upBlockTypes.length !== c.downBlockTypes.length) {
    fail('upBlockTypes', `has ${c.upBlockTypes.length} entries but downBlockTypes has ${c.downBlockTypes.length}`);
  }
  const strip = (t: string) => (t.startsWith('UNetRes') ? t.slice(7) : t);
  c.downBlockTypes = c.downBlockTypes.map((t, i) => {
    const s = strip(String(t));
    if (!(DOWN_BLOCK_TYPES as readonly string[]).includes(s)) fail(`downBlockTypes[${i}]`, `'${t}' is not supported (supported: ${DOWN_BLOCK_TYPES.join(', ')})`);
    return s;
  });
  c.upBlockTypes = c.upBlockTypes.map((t, i) => {
    const s = strip(String(t));
    if (!(UP_BLOCK_TYPES as readonly string[]).includes(s)) fail(`upBlockTypes[${i}]`, `'${t}' is not supported (supported: ${UP_BLOCK_TYPES.join(', ')})`);
    return s;
  });
  if (c.midBlockType !== null && c.midBlockType !== 'UNetMidBlock2D') {
    fail('midBlockType', `'${c.midBlockType}' is not supported (supported: UNetMidBlock2D or null)`);
  }
  if (c.timeEmbeddingType !== 'positional') fail('timeEmbeddingType', `'${c.timeEmbeddingType}' is not supported (supported: positional)`);
  if (!['default', 'scale_shift'].includes(c.resnetTimeScaleShift)) {
    fail('resnetTimeScaleShift', `'${c.resnetTimeScaleShift}' is not supported (supported: default, scale_shift)`);
  }
  if (!['conv', 'resnet'].includes(c.downsampleType)) fail('downsampleType', `'${c.downsampleType}' is not supported (supported: conv, resnet)`);
  if (!['conv', 'resnet'].includes(c.upsampleType)) fail('upsampleType', `'${c.upsampleType}' is not supported (supported: conv, resnet)`);
  const act = String(c.actFn).toLowerCase();
  if (!(ACTIVATIONS as readonly string[]).includes(act)) fail('actFn', `'${c.actFn}' is not supported (supported: ${ACTIVATIONS.join(', ')})`);
  c.actFn = act as ActivationName;
  if (c.classEmbedType !== null && c.classEmbedType !== 'timestep' && c.classEmbedType !== 'identity') {
    fail('classEmbedType', `'${c.classEmbedType}' is not supported (supported: null, timestep, identity)`);
  }
  if (c.numClassEmbeds !== null) posInt(c.numClassEmbeds, 'numClassEmbeds');
  if (c.timeEmbeddingDim !== null) posInt(c.timeEmbeddingDim, 'timeEmbeddingDim');
  if (c.attentionHeadDim !== null) posInt(c.attentionHeadDim, 'attentionHeadDim');
  if (c.attnNormNumGroups !== null) posInt(c.attnNormNumGroups, 'attnNormNumGroups');
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout <= 1)) fail('dropout', `must be in [0, 1], got ${JSON.stringify(c.dropout)}`);
  if (typeof c.normEps !== 'number' || !(c.normEps >= 0)) fail('normEps', `must be a non-negative number, got ${JSON.stringify(c.normEps)}`);
  if (typeof c.freqShift !== 'number' || !Number.isFinite(c.freqShift)) fail('freqShift', `must be a finite number, got ${JSON.stringify(c.freqShift)}`);
  if (typeof c.midBlockScaleFactor !== 'number' || !(c.midBlockScaleFactor > 0)) fail('midBlockScaleFactor', `must be positive, got ${JSON.stringify(c.midBlockScaleFactor)}`);
  if (typeof c.downsamplePadding !== 'number' || !Number.isInteger(c.downsamplePadding) || c.downsamplePadding < 0) {
    fail('downsamplePadding', `must be a non-negative integer, got ${JSON.stringify(c.downsamplePadding)}`);
  }
  for (const k of ['centerInputSample', 'flipSinToCos', 'addAttention'] as const) {
    if (typeof c[k] !== 'boolean') fail(k, `must be true or false, got ${JSON.stringify(c[k])}`);
  }
  // Attention widths must split into whole heads (diffusers computes heads = channels // head_dim).
  if (c.attentionHeadDim !== null) {
    c.blockOutChannels.forEach((ch, i) => {
      const attn = c.downBlockTypes[i] === 'AttnDownBlock2D' || c.upBlockTypes[c.blockOutChannels.length - 1 - i] === 'AttnUpBlock2D' ||
        (i === c.blockOutChannels.length - 1 && c.midBlockType !== null && c.addAttention);
      if (attn && ch % c.attentionHeadDim! !== 0) fail('attentionHeadDim', `${c.attentionHeadDim} does not divide blockOutChannels[${i}] = ${ch}`);
    });
  }
  return c;
}

/**
 * The config in diffusers' `config.json` form: snake_case keys, `_class_name: 'UNet2DModel'`.
 *
 * @example
 * writeFileSync('config.json', JSON.stringify(toDiffusersConfig(unet.config), null, 2));
 */
export function toDiffusersConfig(config: UNet2DConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { _class_name: 'UNet2DModel', _diffusers_version: '0.40.0.dev0' };
  for (const [snake, camel] of SNAKE) out[snake] = config[camel];
  return out;
}
