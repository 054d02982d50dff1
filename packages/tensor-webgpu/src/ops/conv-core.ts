// The recorded convolution primitives at an explicit geometry (conv2d, convTranspose2d, and conv2d's weight+bias
// gradient) with backward rules written in one another, so every gradient is a single fused kernel and differentiates again.
import type { Conv2dParams, FusedActivation } from '../backend/backend.js';
import { record } from '../autograd/node.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { recordActivation } from './fused-activation.js';
import type { Tensor } from '../tensor.js';
import { zeros } from './creation.js';
import { expand, reshape } from './movement.js';
import { sum } from './reduce.js';
import { backendOf, empty } from './util.js';

/**
 * The same geometry seen from the other side: the conv from `p`'s output back to its input (a conv's input gradient
 * is the transposed conv with these parameters, and the other way round). Output size is the original input size.
 */
export function swapSides(p: Conv2dParams): Conv2dParams {
  return { ...p, cin: p.cout, h: p.oh, w: p.ow, cout: p.cin, oh: p.h, ow: p.w };
}

/**
 * @internal conv2d of NCHW `x` with OIHW `w` exactly as `p` says (any output size: taps outside `x` read zero),
 * recorded for autograd. Gradients: input = {@link convTranspose2dAt}, weight and bias = {@link convWeightGradAt}.
 * With `act`, the output is `gain · f(conv + bias)` from the same kernel, which also stores the pre-activation when
 * a gradient is needed (the activation's gradient is then taken at it, before the conv's).
 */
export function conv2dAt(op: string, x: Tensor, w: Tensor, bias: Tensor | null, p: Conv2dParams, act: FusedActivation | null = null): Tensor {
  const backend = bias ? backendOf(op, x, w, bias) : backendOf(op, x, w);
  const shape = [p.n, p.cout, p.oh, p.ow];
  const out = empty(op, backend, shape, 'float32');
  if (!act) {
    if (out.size > 0) backend.conv2d(x.buf(op), w.buf(op), bias ? bias.buf(op) : null, out.buf(op), p);
    return recordConv(op, out, x, w, bias, p);
  }
  const track = isGradEnabled() && (x.requiresGrad || w.requiresGrad || !!bias?.requiresGrad);
  const pre = track ? empty(op, backend, shape, 'float32') : null;
  if (out.size > 0) backend.conv2d(x.buf(op), w.buf(op), bias ? bias.buf(op) : null, out.buf(op), p, { act, pre: pre ? pre.buf(op) : null });
  return pre ? recordActivation(op, recordConv(op, pre, x, w, bias, p), out, act) : out;
}

/** Records `out` (= conv2d of x, w, bias as `p` says) with the conv's backward rule. */
function recordConv(op: string, out: Tensor, x: Tensor, w: Tensor, bias: Tensor | null, p: Conv2dParams): Tensor {
  const [needX, needW, needB] = [x.requiresGrad, w.requiresGrad, !!bias?.requiresGrad];
  return record(op, out, [x, w, bias], (g, [xs, ws]) => {
    const dx = needX ? convTranspose2dAt(`${op} backward`, g, ws!, null, swapSides(p)) : null;
    if (needW) {
      const [dw, db] = convWeightGradAt(xs!, g, p, needB);
      return [dx, dw, db];
    }
    return [dx, null, needB ? sum(g, [0, 2, 3]) : null];
  }, [x, w]);
}

/**
 * @internal convTranspose2d of NCHW `x` with IOHW `w` exactly as `p` says (p.cin = x's channels, any output size),
 * recorded for autograd. Gradients: input = {@link conv2dAt} of the other side, weight = the weight gradient with the
 * roles of input and output gradient swapped.
 */
export function convTranspose2dAt(op: string, x: Tensor, w: Tensor, bias: Tensor | null, p: Conv2dParams): Tensor {
  const backend = bias ? backendOf(op, x, w, bias) : backendOf(op, x, w);
  const out = empty(op, backend, [p.n, p.cout, p.oh, p.ow], 'float32');
  if (out.size > 0) backend.convTranspose2d(x.buf(op), w.buf(op), bias ? bias.buf(op) : null, out.buf(op), p);
  const [needX, needW, needB] = [x.requiresGrad, w.requiresGrad, !!bias?.requiresGrad];
  return record(op, out, [x, w, bias], (g, [xs, ws]) => {
    const back = swapSides(p);
    const dx = needX ? conv2dAt(`${op} backward`, g, ws!, null, back) : null;
    const dw = needW ? convWeightGradAt(g, xs!, back, false)[0] : null;
    return [dx, dw, needB ? sum(g, [0, 2, 3]) : null];
  }, [x, w]);
}

/**
 * @internal Weight gradient [cout, cin/groups, kh, kw] of the conv `p` (input `inp`, output gradient `gOut`) and,
 * when `withBias`, the bias gradient [cout] from the same kernel pass; both recorded (their own gradients are a conv
 * and a transposed conv with the incoming gradient as weights, and a broadcast).
 */
export function convWeightGradAt(inp: Tensor, gOut: Tensor, p: Conv2dParams, withBias: boolean): [Tensor, Tensor | null] {
  const op = 'conv2d weight gradient';
  const backend = backendOf(op, inp, gOut);
  const wShape = [p.cout, p.cin / p.groups, p.kh, p.kw];
  if (p.cin === 0) return [zeros(wShape, { backend }), withBias ? sum(gOut, [0, 2, 3]) : null];
  const dw = empty(op, backend, wShape, 'float32');
  const db = withBias ? empty(op, backend, [p.cout], 'float32') : null;
  backend.conv2dWeightGrad(inp.buf(op), gOut.buf(op), dw.buf(op), db ? db.buf(op) : null, p);
  const [needInp, needG] = [inp.requiresGrad, gOut.requiresGrad];
  const dwRec = record(op, dw, [inp, gOut], (gg, [is, gs]) => [
    needInp ? convTranspose2dAt(`${op} backward`, gs!, gg, null, swapSides(p)) : null,
    needG ? conv2dAt(`${op} backward`, is!, gg, null, p) : null,
  ], [inp, gOut]);
  const dbRec = db
    ? record('conv2d bias gradient', db, [inp, gOut], (gg) => [null, needG ? expand(reshape(gg, [1, p.cout, 1, 1]), [p.n, p.cout, p.oh, p.ow]) : null])
    : null;
  return [dwRec, dbRec];
}
