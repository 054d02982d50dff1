// nn.Embedding: a lookup table of learnable vectors, gathered with indexSelect (differentiable into the table).
import { check, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { arange } from '../ops/creation.js';
import { where } from '../ops/elementwise.js';
import { indexSelect } from '../ops/indexing.js';
import type { Tensor } from '../tensor.js';
import { normal_ } from './init.js';
import { Module } from './module.js';
import { type LayerOptions, Parameter, newParameter } from './parameter.js';

/** Options of {@link Embedding}. */
export interface EmbeddingOptions extends LayerOptions {
  /** Row that receives no gradient (and starts at zero); negative values count from the end. */
  paddingIdx?: number | null;
}

function normPaddingIdx(paddingIdx: number | null | undefined, num: number): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  check(Number.isInteger(paddingIdx) && paddingIdx < num && paddingIdx >= -num, 'Embedding', `paddingIdx must be within [-${num}, ${num - 1}], got ${paddingIdx}`);
  return paddingIdx < 0 ? paddingIdx + num : paddingIdx;
}

/**
 * A table of `numEmbeddings` vectors of size `embeddingDim` (weight ~ N(0, 1), like torch). `forward(indices)`
 * takes an int32 tensor of any shape and returns [...indices.shape, embeddingDim]. Indices must lie in
 * [0, numEmbeddings): the CPU backend throws on others, WebGPU returns zeros for them (they cannot be checked
 * without reading the indices back).
 *
 * @example
 * const emb = new Embedding(1000, 64, { paddingIdx: 0 });
 * const v = emb.call(tensor([[1, 2, 0]], { dtype: 'int32' })); // [1, 3, 64]
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    check(Number.isInteger(numEmbeddings) && numEmbeddings > 0 && Number.isInteger(embeddingDim) && embeddingDim > 0, 'Embedding', `sizes must be positive integers, got ${numEmbeddings}, ${embeddingDim}`);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = normPaddingIdx(options.paddingIdx, numEmbeddings);
    this.weight = newParameter([numEmbeddings, embeddingDim], 0, options.backend);
    normal_(this.weight, 0, 1, { generator: options.generator });
    if (this.paddingIdx !== null) {
      const pad = this.paddingIdx;
      const zeroed = tidy(() => where(arange(numEmbeddings, { backend: this.weight.backend }).eq(pad).unsqueeze(1), 0, this.weight.detach()));
      this.weight._replaceStorage(zeroed);
      zeroed.dispose();
    }
  }

  /**
   * An Embedding holding a copy of `embeddings` [num, dim] (frozen unless `freeze: false`).
   *
   * @example
   * const emb = Embedding.fromPretrained(vectors, { freeze: true });
   */
  static fromPretrained(embeddings: Tensor, options: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    check(embeddings.ndim === 2, 'Embedding.fromPretrained', `embeddings must be 2-D [num, dim], got shape ${fmtShape(embeddings.shape)}`);
    const [n, d] = embeddings.shape as [number, number];
    const emb = new Embedding(n, d, { backend: embeddings.backend, paddingIdx: options.paddingIdx });
    const copy = embeddings.detach().to('float32');
    emb.weight._replaceStorage(copy);
    copy.dispose();
    emb.weight.requiresGrad_(!(options.freeze ?? true));
    return emb;
  }

  forward(indices: Tensor): Tensor {
    check(indices.dtype === 'int32' || indices.dtype === 'uint32', 'Embedding', `indices must be int32, got ${indices.dtype} of shape ${fmtShape(indices.shape)}`);
    return tidy(() => {
      const flat = indices.reshape(-1);
      let rows = indexSelect(this.weight, 0, flat);
      if (this.paddingIdx !== null && this.weight.requiresGrad) {
        // Same values, but the padding row's lookups come from a detached table: no gradient reaches it.
        const frozen = indexSelect(this.weight.detach(), 0, flat);
        rows = where(flat.eq(this.paddingIdx).unsqueeze(1), frozen, rows);
      }
      return rows.reshape([...indices.shape, this.embeddingDim]);
    });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
