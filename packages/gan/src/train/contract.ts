// What the trainer needs from a generator and a discriminator: stylegan2-ada's call shapes. StyleGAN2Generator and
// StyleGAN2Discriminator satisfy it; so does any module with the same methods (tests use tiny stand-ins).
import type { Tensor, nn } from '@radix/tensor-webgpu';
import type { MappingCallOptions } from '../networks/mapping.js';
import type { NoiseMode } from '../networks/synthesis-layer.js';

/** A generator the trainer can drive: z [N, zDim] and one-hot c [N, cDim] (null when cDim = 0) → images in about [−1, 1]. */
export type GeneratorLike = nn.AnyModule & {
  readonly zDim: number;
  readonly cDim: number;
  readonly imgResolution: number;
  readonly imgChannels: number;
  /** ws [N, numWs, wDim]. */
  mapping(z: Tensor, c: Tensor | null, options?: MappingCallOptions): Tensor;
  synthesis(ws: Tensor, options?: { noiseMode?: NoiseMode }): Tensor;
};

/** A discriminator: images and one-hot c (null when unconditional) → logits [N, 1]. */
export type DiscriminatorLike = nn.AnyModule & {
  readonly cDim: number;
  call(img: Tensor, c: Tensor | null): Tensor;
};

/** A discriminator that can also return the features its output layer reads (D2D-CE embeds those). */
export type FeatureDiscriminatorLike = DiscriminatorLike & {
  /** logits [N, 1] and the epilogue features [N, F]. */
  forwardWithFeatures(img: Tensor, c: Tensor | null): { logits: Tensor; features: Tensor };
};
