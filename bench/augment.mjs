// Augmentation throughput: the rudi preset and a batched random affine on the current device, against sharp
// (libvips) doing the same geometry on the CPU, in the same process. Writes JSON + markdown to bench/results/.
import sharp from 'sharp';
import { init, uniform, Generator } from '@radix/tensor-webgpu';
import { HostRandom, randomAffine, rudiPreset } from '@radix/augment';
import { measure, stats } from './src/timing.mjs';
import { resultsBase, writeAtomic } from './src/results.mjs';

const quick = process.argv.includes('--quick');
const backend = await init({ backend: process.env.RADIX_BACKEND ?? 'auto' });
const info = backend.info;
const size = 256;
const batches = quick ? [1, 8, 32] : [1, 8, 32, 64];
console.log(`device: ${info.description}`);

function hostImages(n, seed) {
  let s = seed;
  return Array.from({ length: n }, () => {
    const b = Buffer.alloc(size * size * 3);
    for (let i = 0; i < b.length; i++) b[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
    return b;
  });
}

const rows = [];
for (const n of batches) {
  const x = uniform([n, 3, size, size], 0, 1, { generator: new Generator(n) });
  const g = new Generator(7);
  // Ours: per-image rotation ±15° and scale 1–1.2 in one batched gridSample; timed to pixels in host memory.
  const ours = await measure(async () => {
    const r = await randomAffine(x, { degrees: 15, scale: [1, 1.2], fill: 'zeros', generator: g });
    await r.images.data();
    r.images.dispose();
  }, async () => {}, { warmup: 1, iters: quick ? 3 : 5 });
  // sharp: the same per-image rotate (canvas expands), then resize back to the size (its zoom/crop equivalent).
  const imgs = hostImages(n, n);
  let k = 0;
  const peer = await measure(async () => {
    await Promise.all(imgs.map((buf) => {
      const angle = ((k++ * 7919) % 31) - 15;
      return sharp(buf, { raw: { width: size, height: size, channels: 3 } })
        .rotate(angle, { background: { r: 0, g: 0, b: 0 } })
        .resize(size, size, { fit: 'cover' })
        .raw()
        .toBuffer();
    }));
  }, async () => {}, { warmup: 1, iters: quick ? 3 : 5 });
  rows.push({ op: 'random affine (rotate ±15°, scale 1–1.2)', batch: n, oursMs: ours.median, sharpMs: peer.median, oursIps: (n * 1000) / ours.median, sharpIps: (n * 1000) / peer.median });
  x.dispose();
  console.log(`affine batch ${String(n).padStart(3)}: ours ${rows.at(-1).oursIps.toFixed(1)} img/s, sharp ${rows.at(-1).sharpIps.toFixed(1)} img/s`);
}

// The rudi preset (rotate, zoom, distortion at p 0.7), one source image, 16 variants, including the read-back.
{
  const n = 16;
  const src = uniform([1, 3, size, size], 0, 1, { generator: new Generator(3) });
  const pipeline = rudiPreset();
  const t = [];
  for (let i = 0; i < (quick ? 2 : 3); i++) {
    const t0 = performance.now();
    const { images } = pipeline.sampleFor(src, n, { generator: new HostRandom(i) });
    await images.data();
    images.dispose();
    t.push(performance.now() - t0);
  }
  const ms = stats(t).median;
  rows.push({ op: 'rudi preset (16 variants of one image)', batch: n, oursMs: ms, sharpMs: null, oursIps: (n * 1000) / ms, sharpIps: null });
  src.dispose();
  console.log(`rudi preset: ours ${rows.at(-1).oursIps.toFixed(1)} img/s`);
}

const base = resultsBase(info.description, { prefix: 'augment', suffix: quick ? '-quick' : '' });
const meta = {
  date: new Date().toISOString(), device: info.description, software: info.isSoftware, backend: backend.name, node: process.version,
  sharp: sharp.versions, size,
  timing: 'median wall-clock ms per batch; ours includes reading the augmented batch back to host memory; sharp runs the batch with Promise.all (libvips threads)',
};
writeAtomic(`${base}.json`, `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
const f = (v) => (v === null ? '—' : v.toFixed(1));
writeAtomic(`${base}.md`, [
  `# Augmentation throughput — ${info.description}`,
  '',
  `${meta.date} · Node ${meta.node} · RGB ${size}×${size} · ${meta.timing}.`,
  '',
  '| op | batch | ours img/s | sharp img/s | ratio ours/sharp |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.op} | ${r.batch} | ${f(r.oursIps)} | ${f(r.sharpIps)} | ${r.sharpIps ? `${(r.oursIps / r.sharpIps).toFixed(2)}×` : '—'} |`),
  '',
  'sharp has no rudi preset (no grid distortion); its row is left empty.',
].join('\n') + '\n');
console.log(`wrote ${base}.json and ${base}.md`);
