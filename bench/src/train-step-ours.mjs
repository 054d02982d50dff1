// Our side of bench/train-step.mjs: the workloads of train-step-spec.mjs on @radix/tensor-webgpu (built dist), on
// whichever backend is the default when called. Each sample runs the work, then waits for the device (sync).
import {
  F, Generator, add, cat, grad, matmul, mean, mul, nn, noGrad, optim, randn, reshape, rsqrt, square, sum, tidy,
} from '@radix/tensor-webgpu';

/** Median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length;
  return m % 2 ? s[(m - 1) / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
}

/** Median wall ms of `reps` runs of `fn` (after `warmup` runs); every tensor `fn` makes is disposed each run. */
async function timed(backend, fn, { warmup = 1, reps = 3 } = {}) {
  for (let i = 0; i < warmup; i++) {
    tidy(() => { fn(); });
    await backend.sync();
  }
  const samples = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    tidy(() => { fn(); });
    await backend.sync();
    samples.push(performance.now() - t);
  }
  return { ms: median(samples), samples };
}

/** The UNet-like network of the spec (see train-step-spec.mjs). */
export class UNetLike extends nn.Module {
  constructor(g) {
    super();
    const c = (i, o, opts = {}) => new nn.Conv2d(i, o, 3, { padding: 1, ...opts });
    // GroupNorm + SiLU as one module: the SiLU runs in GroupNorm's kernel (the same math as torch's two modules).
    const gn = (ch) => new nn.GroupNorm(g, ch, { activation: 'silu' });
    this.c1 = c(3, 64); this.n1 = gn(64);
    this.c2 = c(64, 64); this.n2 = gn(64);
    this.down = c(64, 128, { stride: 2 }); this.n3 = gn(128);
    this.mid = c(128, 128); this.n4 = gn(128);
    this.up = new nn.ConvTranspose2d(128, 64, 4, { stride: 2, padding: 1 }); this.n5 = gn(64);
    this.c5 = c(128, 64); this.n6 = gn(64);
    this.out = c(64, 3);
  }
  forward(x) {
    const a = this.n1.call(this.c1.call(x));
    const h = this.n2.call(this.c2.call(a));
    const d = this.n3.call(this.down.call(h));
    const m = this.n4.call(this.mid.call(d));
    const u = this.n5.call(this.up.call(m));
    const o = this.n6.call(this.c5.call(cat([u, h], 1)));
    return this.out.call(o);
  }
}

/**
 * Runs every workload on the current default backend; returns { rowName: { ms, samples } }.
 * `reps(name)` gives the repetition count per row; `only` (a RegExp) filters rows.
 */
export async function runOurs(backend, spec, { reps = () => 3, only = null, log = () => {} } = {}) {
  const gen = new Generator(0);
  const rnd = (shape, std = 1) => randn(shape, { generator: gen, std });
  const R = {};
  const want = (name) => !only || only.test(name);
  const row = async (name, fn, opts = {}) => {
    if (!want(name)) return;
    R[name] = await timed(backend, fn, { reps: reps(name), ...opts });
    log(name, R[name].ms);
  };

  const u = spec.unet;
  const net = new UNetLike(u.groups);
  const opt = new optim.Adam(net.parameters(), { lr: u.lr });
  const x = rnd([u.batch, 3, u.size, u.size]);
  const y = rnd([u.batch, 3, u.size, u.size]);
  await row('unet step', () => {
    const loss = nn.mseLoss(net.call(x), y);
    loss.backward();
    opt.step();
    opt.zeroGrad();
  }, { warmup: 2 });
  opt.fused = false;
  await row('unet step, op-by-op optimizer', () => {
    const loss = nn.mseLoss(net.call(x), y);
    loss.backward();
    opt.step();
    opt.zeroGrad();
  }, { warmup: 1 });
  opt.fused = true;
  {
    // The optimizer alone over the UNet's parameters (gradients already there): fused (multi-tensor: a few dispatches
    // for all of them; then one per parameter) vs op by op.
    const loss = nn.mseLoss(net.call(x), y);
    loss.backward();
    loss.dispose();
    await row('adam step over the UNet parameters, fused', () => opt.step());
    opt.multiTensor = false;
    await row('adam step over the UNet parameters, fused per tensor', () => opt.step());
    opt.multiTensor = true;
    opt.fused = false;
    await row('adam step over the UNet parameters, op by op', () => opt.step());
    opt.fused = true;
    opt.zeroGrad();
  }
  {
    // What one small op costs end to end (record + submit + run), 1,000 of them on a 16-element tensor.
    const t = rnd([spec.tinyOps.numel]);
    await row(`${spec.tinyOps.count} tiny ops (x + 1, ${spec.tinyOps.numel} elements)`, () => {
      let z = t;
      for (let i = 0; i < spec.tinyOps.count; i++) {
        const n = add(z, 1);
        if (z !== t) z.dispose();
        z = n;
      }
    });
    t.dispose();
  }
  await row('ddim step', () => noGrad(() => add(mul(x, 0.98), mul(net.call(x), 0.1))));

  for (const r of spec.convRows) {
    const xi = rnd([r.n, r.cin, r.h, r.w]).requiresGrad_();
    const w = rnd([r.cout, r.cin / r.groups, r.k, r.k]).requiresGrad_();
    const o = { stride: r.stride, padding: r.pad, groups: r.groups };
    await row(`${r.name} forward`, () => noGrad(() => F.conv2d(xi, w, null, o)));
    const out = F.conv2d(xi, w, null, o);
    const g = rnd(out.shape);
    await row(`${r.name} backward`, () => grad(out, [xi, w], { gradOutputs: [g], retainGraph: true }));
    for (const t of [xi, w, out, g]) t.dispose();
  }

  {
    const r = spec.convTransposeRow;
    const xi = rnd([r.n, r.cin, r.h, r.w]).requiresGrad_();
    const w = rnd([r.cin, r.cout, r.k, r.k]).requiresGrad_();
    const o = { stride: r.stride, padding: r.pad };
    await row(`${r.name} forward`, () => noGrad(() => F.convTranspose2d(xi, w, null, o)));
    const out = F.convTranspose2d(xi, w, null, o);
    const g = rnd(out.shape);
    await row(`${r.name} backward`, () => grad(out, [xi, w], { gradOutputs: [g], retainGraph: true }));
    for (const t of [xi, w, out, g]) t.dispose();
  }

  {
    const r = spec.groupNormRow;
    const xi = rnd([r.n, r.c, r.h, r.w]).requiresGrad_();
    const gw = rnd([r.c]).requiresGrad_();
    const gb = rnd([r.c]).requiresGrad_();
    const g = rnd(xi.shape);
    await row('groupNorm forward', () => noGrad(() => F.groupNorm(xi, r.groups, gw, gb)));
    await row('elementwise x + g', () => noGrad(() => add(xi, g)));
    const out = F.groupNorm(xi, r.groups, gw, gb);
    await row('groupNorm backward', () => grad(out, [xi, gw, gb], { gradOutputs: [g], retainGraph: true }));
    for (const t of [xi, gw, gb, g, out]) t.dispose();
  }

  {
    const xs = rnd([spec.siluNumel]).requiresGrad_();
    const ys = F.silu(xs);
    const gs = rnd([spec.siluNumel]);
    await row('silu backward', () => grad(ys, [xs], { gradOutputs: [gs], retainGraph: true }));
    for (const t of [xs, ys, gs]) t.dispose();
  }

  {
    const m = spec.modconv;
    const w0 = rnd([m.c, m.cin, 3, 3], 0.2).requiresGrad_();
    const w1 = rnd([m.c, m.c, 3, 3], 0.05).requiresGrad_();
    const style = add(rnd([m.n, m.c], 0.5), 1);
    const real = rnd([m.n, m.cin, m.size, m.size]);
    const s = m.size;
    await row('modconv + R1 step', () => {
      const xr = real.detach().requiresGrad_();
      const h = mul(F.leakyRelu(F.conv2d(xr, w0, null, { padding: 1 }), 0.2), Math.SQRT2);
      let wm = mul(reshape(w1, [1, m.c, m.c, 3, 3]), reshape(style, [m.n, 1, m.c, 1, 1]));
      wm = mul(wm, rsqrt(add(sum(square(wm), [2, 3, 4], true), 1e-8)));
      const hm = F.conv2d(reshape(h, [1, m.n * m.c, s, s]), reshape(wm, [m.n * m.c, m.c, 3, 3]), null, { padding: 1, groups: m.n });
      const h2 = mul(F.leakyRelu(reshape(hm, [m.n, m.c, s, s]), 0.2), Math.SQRT2);
      const score = mean(h2, [1, 2, 3]);
      const [gx] = grad(sum(score), [xr], { createGraph: true });
      const pen = mean(sum(square(gx), [1, 2, 3]));
      const loss = add(mean(F.softplus(mul(score, -1))), mul(pen, m.gamma / 2));
      w0.grad?.dispose(); w0.grad = null;
      w1.grad?.dispose(); w1.grad = null;
      loss.backward();
    });
    for (const t of [w0, w1, style, real]) t.dispose();
  }
  if (spec.matmul) {
    const n = spec.matmul.n;
    const a = rnd([n, n]);
    const b = rnd([n, n]);
    await row(`matmul ${n}×${n} · ${n}×${n} f32`, () => matmul(a, b));
    for (const t of [a, b]) t.dispose();
  }
  for (const t of [x, y]) t.dispose();
  return R;
}
