// StyleGAN2's mapping network (stylegan2-ada's MappingNetwork): normalised z and embedded c through equalized-lr FC
// layers (lr multiplier 0.01), the moving average w_avg tracked in training mode, broadcast to numWs and truncation.
import { type Tensor, RadixError, cat, nn, noGrad, tidy, zeros } from '@radix/tensor-webgpu';
import type { Activation } from './bias-act.js';
import { FullyConnectedLayer } from './fully-connected.js';
import { type NetworkInitOptions, checkInt } from './init.js';

/**
 * x · rsqrt(mean(x², dim) + eps), the original's normalize_2nd_moment.
 *
 * @example
 * const zn = normalize2ndMoment(z); // each row has unit mean square
 */
export function normalize2ndMoment(x: Tensor, dim = 1, eps = 1e-8): Tensor {
  return tidy(() => x.mul(x.square().mean(dim, true).add(eps).rsqrt()));
}

/** Options of {@link MappingNetwork} (the original's mapping_kwargs, camelCased). */
export interface MappingNetworkOptions extends NetworkInitOptions {
  /** Number of FC layers (default 8). */
  numLayers?: number;
  /** Label embedding size (default: wDim). */
  embedFeatures?: number | null;
  /** Width of the hidden FC layers (default: wDim). */
  layerFeatures?: number | null;
  /** Activation of the FC layers (default 'lrelu'). */
  activation?: Activation;
  /** Learning-rate multiplier of the FC layers (default 0.01). */
  lrMultiplier?: number;
  /** Decay of the w_avg moving average (default 0.995); null: no tracking and no `w_avg` buffer. */
  wAvgBeta?: number | null;
}

/** Per-call options of the mapping network. */
export interface MappingCallOptions {
  /** Truncation ψ: w ← w_avg + ψ·(w − w_avg) (default 1: none). */
  truncationPsi?: number;
  /** Truncate only the first `truncationCutoff` ws (default null: all). */
  truncationCutoff?: number | null;
  /**
   * The original's `skip_w_avg_update`: true leaves `w_avg` untouched (style mixing's second latent, path-length
   * passes, evaluation in training mode). Default false: `w_avg` moves whenever the module is in training mode.
   */
  skipWAvgUpdate?: boolean;
  /** The same switch under stylegan3's name: `updateEmas: false` ≡ `skipWAvgUpdate: true` (default true). */
  updateEmas?: boolean;
}

/**
 * Mapping network; keys `embed.*` (when cDim > 0), `fc0.*` … `fc{numLayers-1}.*` and buffer `w_avg`.
 *
 * @example
 * const mapping = new MappingNetwork(64, 0, 64, 10, { numLayers: 2 });
 * const ws = mapping.call(z, null, { truncationPsi: 0.7 }); // z [N, 64] → ws [N, 10, 64]
 */
export class MappingNetwork extends nn.Module<[z: Tensor | null, c: Tensor | null, options?: MappingCallOptions]> {
  readonly zDim: number;
  readonly cDim: number;
  readonly wDim: number;
  readonly numWs: number | null;
  readonly numLayers: number;
  readonly wAvgBeta: number | null;
  embed: FullyConnectedLayer | null = null;

  constructor(zDim: number, cDim: number, wDim: number, numWs: number | null, options: MappingNetworkOptions = {}) {
    super();
    const op = 'MappingNetwork';
    this.zDim = checkInt(op, 'zDim', zDim, 0);
    this.cDim = checkInt(op, 'cDim', cDim, 0);
    this.wDim = checkInt(op, 'wDim', wDim);
    this.numWs = numWs === null ? null : checkInt(op, 'numWs', numWs);
    this.numLayers = checkInt(op, 'numLayers', options.numLayers ?? 8);
    this.wAvgBeta = options.wAvgBeta === undefined ? 0.995 : options.wAvgBeta;
    if (zDim + cDim === 0) throw new RadixError(op, 'zDim and cDim are both 0: the network has no input');
    const init = { backend: options.backend, generator: options.generator };
    let embedFeatures = options.embedFeatures ?? wDim;
    if (cDim === 0) embedFeatures = 0;
    const layerFeatures = options.layerFeatures ?? wDim;
    const features = [zDim + embedFeatures, ...new Array<number>(this.numLayers - 1).fill(layerFeatures), wDim];
    if (cDim > 0) this.embed = new FullyConnectedLayer(cDim, embedFeatures, init);
    for (let i = 0; i < this.numLayers; i++) {
      const fc = new FullyConnectedLayer(features[i]!, features[i + 1]!, { activation: options.activation ?? 'lrelu', lrMultiplier: options.lrMultiplier ?? 0.01, ...init });
      this.registerModule(`fc${i}`, fc);
    }
    if (numWs !== null && this.wAvgBeta !== null) this.registerBuffer('w_avg', zeros([wDim], { backend: options.backend }));
  }

  /** The tracked average w [wDim], or null when not tracked. */
  get wAvg(): Tensor | null {
    return this.getBuffer('w_avg');
  }

  /**
   * The FC layer `fc{i}`.
   *
   * @example
   * mapping.fc(0).weight.shape; // [wDim, zDim + embedFeatures]
   */
  fc(i: number): FullyConnectedLayer {
    return this.getSubmodule(`fc${i}`) as FullyConnectedLayer;
  }

  forward(z: Tensor | null, c: Tensor | null, options: MappingCallOptions = {}): Tensor {
    const op = 'MappingNetwork';
    const psi = options.truncationPsi ?? 1;
    const cutoff = options.truncationCutoff ?? null;
    if (!Number.isFinite(psi)) throw new RadixError(op, `truncationPsi must be a finite number, got ${psi}`);
    if (options.skipWAvgUpdate !== undefined && options.updateEmas !== undefined && options.skipWAvgUpdate === options.updateEmas) {
      throw new RadixError(op, `skipWAvgUpdate: ${options.skipWAvgUpdate} and updateEmas: ${options.updateEmas} contradict each other (pass one of them)`);
    }
    const update = !(options.skipWAvgUpdate ?? false) && (options.updateEmas ?? true);
    if (cutoff !== null && !(Number.isInteger(cutoff) && cutoff >= 0)) throw new RadixError(op, `truncationCutoff must be a non-negative integer or null, got ${cutoff}`);
    if (this.zDim > 0 && (!z || z.ndim !== 2 || z.shape[1] !== this.zDim)) throw new RadixError(op, `z must have shape [N, ${this.zDim}], got ${z ? `[${z.shape.join(', ')}]` : 'null'}`);
    if (this.cDim > 0 && (!c || c.ndim !== 2 || c.shape[1] !== this.cDim)) throw new RadixError(op, `c must have shape [N, ${this.cDim}], got ${c ? `[${c.shape.join(', ')}]` : 'null'}`);
    if (this.zDim > 0 && this.cDim > 0 && z!.shape[0] !== c!.shape[0]) throw new RadixError(op, `z [${z!.shape.join(', ')}] and c [${c!.shape.join(', ')}] have different batch sizes`);
    return tidy(() => {
      let x: Tensor | null = null;
      if (this.zDim > 0) x = normalize2ndMoment(z!);
      if (this.cDim > 0) {
        const y = normalize2ndMoment(this.embed!.call(c!));
        x = x ? cat([x, y], 1) : y;
      }
      for (let i = 0; i < this.numLayers; i++) x = this.fc(i).call(x!);
      const wAvg = this.wAvg;
      if (this.wAvgBeta !== null && wAvg && this.training && update) {
        const beta = this.wAvgBeta;
        noGrad(() => {
          const batchMean = x!.detach().mean(0);
          const next = batchMean.add(wAvg.sub(batchMean).mul(beta)); // lerp(mean, w_avg, beta)
          wAvg._replaceStorage(next);
        });
      }
      let out = x!;
      if (this.numWs !== null) out = out.unsqueeze(1).expand([out.shape[0]!, this.numWs, this.wDim]);
      if (psi !== 1) {
        if (this.wAvgBeta === null || !wAvg) throw new RadixError(op, 'truncation needs w_avg, which this mapping network does not track (wAvgBeta null)');
        const lerp = (t: Tensor) => wAvg.add(t.sub(wAvg).mul(psi));
        if (this.numWs === null || cutoff === null || cutoff >= this.numWs) out = lerp(out);
        else if (cutoff > 0) out = cat([lerp(out.narrow(1, 0, cutoff)), out.narrow(1, cutoff, this.numWs - cutoff)], 1);
      }
      return out;
    });
  }
}
