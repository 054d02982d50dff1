// The built package in a real browser: headless Chromium's navigator.gpu (SwiftShader) must give the CPU backend's numbers.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Generator, randn, randomBits, matmul, F, dispose } from '../../index.js';
import { expectClose, testBackends } from '../../testing/index.js';

const CHROMIUM = process.env.RADIX_CHROMIUM ?? '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../../../dist/', import.meta.url));
const required = process.env.RADIX_REQUIRE_BROWSER === '1';
const available = existsSync(CHROMIUM) && existsSync(join(DIST, 'index.js'));
if (required && !available) throw new Error(`RADIX_REQUIRE_BROWSER=1 but ${existsSync(CHROMIUM) ? 'the package is not built (dist/index.js)' : `${CHROMIUM} is missing`}`);

const PAGE = `<!doctype html><meta charset="utf-8"><title>radix</title><script type="module">window.radix = await import('/index.js'); window.ready = true;</script>`;

function serve(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!)).replace(/^(\.\.[/\\])+/, '');
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      return;
    }
    const file = join(DIST, path);
    if (!file.startsWith(DIST) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': extname(file) === '.js' ? 'text/javascript' : 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const addr = server.address() as { port: number };
    resolve({ server, url: `http://127.0.0.1:${addr.port}/` });
  }));
}

describe.runIf(available)('WebGPU in headless Chromium', () => {
  let server: Server;
  let browser: import('playwright-core').Browser;
  let page: import('playwright-core').Page;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    const s = await serve();
    server = s.server;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--enable-unsafe-webgpu', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
    });
    page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.error('[chromium]', m.text()); });
    await page.goto(s.url);
    await page.waitForFunction('window.ready === true', null, { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('initialises WebGPU from navigator.gpu and matches the CPU backend', async () => {
    const result = await page.evaluate(async () => {
      const R = (window as any).radix;
      const b = await R.init({ backend: 'webgpu' });
      const g = new R.Generator(11);
      const x = R.randn([2, 3, 9, 9], { generator: g });
      const w = R.randn([4, 3, 3, 3], { generator: g });
      const a = R.randn([17, 5], { generator: g });
      const m = R.randn([5, 13], { generator: g });
      const bits = R.randomBits([10], { generator: g });
      const y = R.F.gelu(x.mul(1.5).add(0.25));
      const conv = R.F.conv2d(x, w, null, { padding: 1, stride: 2 });
      const mm = R.matmul(a, m);
      return {
        backend: b.name,
        description: b.info.description,
        y: Array.from(await y.data()) as number[],
        conv: Array.from(await conv.data()) as number[],
        mm: Array.from(await mm.data()) as number[],
        bits: Array.from(await bits.data()) as number[],
      };
    });
    expect(result.backend).toBe('webgpu');
    console.log(`chromium adapter: ${result.description}`);
    const [cpu] = await testBackends();
    const g = new Generator(11);
    const x = randn([2, 3, 9, 9], { backend: cpu, generator: g });
    const w = randn([4, 3, 3, 3], { backend: cpu, generator: g });
    const a = randn([17, 5], { backend: cpu, generator: g });
    const m = randn([5, 13], { backend: cpu, generator: g });
    const bits = randomBits([10], { backend: cpu, generator: g });
    expect(result.bits).toEqual(Array.from(await bits.data()));
    const y = F.gelu(x.mul(1.5).add(0.25));
    const conv = F.conv2d(x, w, null, { padding: 1, stride: 2 });
    const mm = matmul(a, m);
    expectClose(result.y, Array.from(await y.data()), { rtol: 1e-4, atol: 1e-5 }, 'gelu in chromium');
    expectClose(result.conv, Array.from(await conv.data()), { rtol: 1e-4, atol: 1e-5 }, 'conv2d in chromium');
    expectClose(result.mm, Array.from(await mm.data()), { rtol: 1e-4, atol: 1e-5 }, 'matmul in chromium');
    dispose([x, w, a, m, bits, y, conv, mm]);
  });
});
