// `radix demo --quick` end to end on the CPU backend: the report's numbers recomputed from the saved predictions, a
// finished run that does nothing when rerun, a run killed mid-way (a child process) that resumes to the same report,
// and report.html in headless Chromium (renders, every image loads, no console error, no network request, screenshot).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from './demo.js';
import { readRunManifest } from './experiment-run.js';
import { classifyJobId, jobDir } from './experiment-jobs.js';

const tmp = mkdtempSync(join(tmpdir(), 'radix-demo-'));
const BIN = fileURLToPath(new URL('../../bin/radix.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const CHROMIUM = process.env.RADIX_CHROMIUM ?? '/usr/bin/chromium';
const requireBrowser = process.env.RADIX_REQUIRE_BROWSER === '1';
if (requireBrowser && !existsSync(CHROMIUM)) throw new Error(`RADIX_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing`);

let first: DemoResult;
beforeAll(async () => {
  first = await runDemo({ quick: true, out: join(tmp, 'a'), backend: 'cpu' });
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The report's content without timings: report.json, which holds every number of the HTML tables. */
const reportJson = (dir: string): unknown => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));

describe('radix demo --quick', () => {
  it('writes the report, and its classifier table is what the saved predictions give', () => {
    expect(existsSync(first.report)).toBe(true);
    const run = readRunManifest(first.runDir);
    const rows = (reportJson(first.runDir) as { classifier: { variant: string; accuracy: { mean: number; sd: number }; balancedAccuracy: { mean: number; sd: number } }[] }).classifier;
    expect(rows.map((r) => r.variant)).toEqual(run.config.variants.map((v) => v.name));
    for (const row of rows) {
      const acc: number[] = [];
      const bal: number[] = [];
      for (const s of run.config.seeds) {
        const p = JSON.parse(readFileSync(join(jobDir(first.runDir, classifyJobId(row.variant, s)), 'predictions.json'), 'utf8')) as { test: { labels: number[]; pred: number[] } };
        const { labels, pred } = p.test;
        acc.push(pred.filter((v, i) => v === labels[i]).length / labels.length);
        const classes = [...new Set(labels)];
        bal.push(classes.reduce((a, c) => a + pred.filter((v, i) => labels[i] === c && v === c).length / labels.filter((l) => l === c).length, 0) / classes.length);
      }
      const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
      const sd = (x: number[]) => Math.sqrt(x.reduce((a, b) => a + (b - mean(x)) ** 2, 0) / (x.length - 1));
      expect(row.accuracy.mean).toBeCloseTo(mean(acc), 12);
      expect(row.accuracy.sd).toBeCloseTo(sd(acc), 12);
      expect(row.balancedAccuracy.mean).toBeCloseTo(mean(bal), 12);
      expect(row.balancedAccuracy.sd).toBeCloseTo(sd(bal), 12);
    }
    const html = readFileSync(first.report, 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain('id="classifier-table"');
  });

  it('does nothing when the finished run is started again, and says so', async () => {
    const lines: string[] = [];
    const again = await runDemo({ quick: true, out: join(tmp, 'a'), backend: 'cpu', log: (l) => lines.push(l) });
    expect(again.jobs.every((j) => j.result === 'skipped')).toBe(true);
    expect(lines.filter((l) => /: already finished \(.*\); nothing to do$/.test(l))).toHaveLength(again.jobs.length);
  });

  it.runIf(existsSync(DIST))('resumes a run killed after the first classifier job started, to the same report', async () => {
    const out = join(tmp, 'b');
    const args = [BIN, 'demo', '--quick', '--out', out, '--backend', 'cpu'];
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    const marker = join(jobDir(out, classifyJobId('real', 1)), 'manifest.json');
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (existsSync(marker)) {
          clearInterval(t);
          child.kill('SIGKILL');
          resolve();
        }
      }, 50);
      child.on('exit', () => { clearInterval(t); if (!existsSync(marker)) reject(new Error('the demo exited before its first classifier job started')); });
    });
    await exited;
    expect(existsSync(join(out, 'report.json'))).toBe(false);
    const rerun = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    rerun.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((r) => rerun.on('exit', r));
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/data: already finished \(.*\); nothing to do/);
    expect(stderr).toMatch(/classify-real-seed1: resuming \(attempt 2/);
    expect(reportJson(out)).toEqual(reportJson(first.runDir));
  }, 600_000);

  it.runIf(existsSync(CHROMIUM))('renders report.html in headless Chromium: images load, no console errors, no network', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--enable-unsafe-webgpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--headless', '--no-sandbox'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => { if (!r.url().startsWith('data:')) requests.push(r.url()); });
      const url = pathToFileURL(first.report).href;
      await page.goto(url, { waitUntil: 'load' });
      const images = await page.evaluate(() => Array.from(document.images).map((i) => ({ ok: i.complete && i.naturalWidth > 0, alt: i.alt })));
      expect(images.length).toBeGreaterThan(5);
      expect(images.filter((i) => !i.ok)).toEqual([]);
      expect(await page.locator('#classifier-table tr').count()).toBe(1 + readRunManifest(first.runDir).config.variants.length);
      expect(await page.locator('svg polyline').count()).toBeGreaterThan(0);
      const shot = join(first.runDir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await browser.close();
    }
  });
});
