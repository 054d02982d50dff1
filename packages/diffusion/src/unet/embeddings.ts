// The time (and 'timestep' class) embedding of UNet2DModel: DDPM's sinusoidal features of the timestep followed by
// diffusers' TimestepEmbedding MLP (linear_1, SiLU, linear_2), with diffusers' key names.
import { type Backend, type Tensor, arange, cat, nn, pad, silu, tidy } from '@radix/tensor-webgpu';

/**
 * Sinusoidal features of timesteps t [N] → [N, dim], as in DDPM (diffusers' `get_timestep_embedding`):
 * frequencies exp(−ln(maxPeriod)·i / (dim/2 − freqShift)) for i < dim/2, features [sin(t·f), cos(t·f)]
 * ([cos, sin] with `flipSinToCos`), a zero column appended for odd `dim`.
 *
 * @example
 * const e = timestepEmbedding(tensor([0, 500]), 32, { flipSinToCos: true, freqShift: 0 }); // [2, 32]
 */
export function timestepEmbedding(
  timesteps: Tensor,
  dim: number,
  options: { flipSinToCos?: boolean; freqShift?: number; scale?: number; maxPeriod?: number } = {},
): Tensor {
  if (timesteps.ndim !== 1) throw new Error(`timestepEmbedding: timesteps must be 1-D [N], got shape [${timesteps.shape.join(', ')}]`);
  const half = Math.floor(dim / 2);
  const shift = options.freqShift ?? 1;
  const maxPeriod = options.maxPeriod ?? 10000;
  return tidy(() => {
    const backend = timesteps.backend;
    const exponent = arange(half, { backend, dtype: 'float32' }).mul(-Math.log(maxPeriod)).div(half - shift);
    const freqs = exponent.exp();
    let args = timesteps.to('float32').unsqueeze(1).mul(freqs.unsqueeze(0));
    if ((options.scale ?? 1) !== 1) args = args.mul(options.scale!);
    const sin = args.sin();
    const cos = args.cos();
    let emb = options.flipSinToCos ? cat([cos, sin], 1) : cat([sin, cos], 1);
    if (dim % 2 === 1) emb = pad(emb, [0, 1, 0, 0]);
    return emb;
  });
}

/**
 * diffusers' `TimestepEmbedding`: `linear_1` (in → dim), SiLU, `linear_2` (dim → dim).
 *
 * @example
 * const mlp = new TimestepEmbedding(32, 128);
 * const emb = mlp.call(timestepEmbedding(t, 32)); // [N, 128]
 */
export class TimestepEmbedding extends nn.Module {
  linear_1: nn.Linear;
  linear_2: nn.Linear;
  constructor(inChannels: number, timeEmbedDim: number, options: { backend?: Backend | 'cpu' | 'webgpu' } = {}) {
    super();
    this.linear_1 = new nn.Linear(inChannels, timeEmbedDim, options);
    this.linear_2 = new nn.Linear(timeEmbedDim, timeEmbedDim, options);
  }
  forward(x: Tensor): Tensor {
    return tidy(() => this.linear_2.call(silu(this.linear_1.call(x))));
  }
}
