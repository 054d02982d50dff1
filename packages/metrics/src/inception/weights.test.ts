// Weight discovery and loading: the (truncated) real pytorch-fid checkpoint found in a temporary PyTorch hub cache,
// its 566 keys mapped, the truncation reported; a missing file names where to get it; bad weights are refused.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readPthIndex, tensor } from '@radix/tensor-webgpu';
import {
  FID_INCEPTION_FILE, FidInceptionV3, checkpointKeyToParameter, fidInceptionParameterShapes, findFidInceptionWeights,
  formulaWeights, loadFidInceptionWeights,
} from './index.js';
import { FIXTURES } from './test-images.js';

const TRUNCATED = fileURLToPath(new URL('pt_inception-2015-12-05-6726825d.truncated-818371-bytes.pth', FIXTURES));
const root = mkdtempSync(join(tmpdir(), 'radix-inception-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function placeIn(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, FID_INCEPTION_FILE);
  copyFileSync(TRUNCATED, p);
  return p;
}

describe('findFidInceptionWeights / loadFidInceptionWeights', () => {
  const torchHome = join(root, 'torch');
  const home = join(root, 'home');
  const inTorchHome = placeIn(join(torchHome, 'hub', 'checkpoints'));
  const inHomeCache = placeIn(join(home, '.cache', 'torch', 'hub', 'checkpoints'));

  it('finds the file in $TORCH_HOME/hub/checkpoints, else ~/.cache/torch/hub/checkpoints, else not at all', () => {
    expect(findFidInceptionWeights({ env: { HOME: home, TORCH_HOME: torchHome } }).path).toBe(inTorchHome);
    expect(findFidInceptionWeights({ env: { HOME: home } }).path).toBe(inHomeCache);
    const none = findFidInceptionWeights({ env: { HOME: join(root, 'nobody') } });
    expect(none.path).toBeNull();
    expect(none.searched).toEqual([join(root, 'nobody', '.cache', 'torch', 'hub', 'checkpoints', FID_INCEPTION_FILE)]);
  });

  it('prefers an explicit path, then RADIX_INCEPTION_WEIGHTS', () => {
    const env = { HOME: home, TORCH_HOME: torchHome, RADIX_INCEPTION_WEIGHTS: TRUNCATED };
    expect(findFidInceptionWeights({ env }).path).toBe(TRUNCATED);
    expect(findFidInceptionWeights({ env, path: inHomeCache }).path).toBe(inHomeCache);
    expect(findFidInceptionWeights({ env, path: join(root, 'missing.pth') }).path).toBeNull();
  });

  it('maps all 566 checkpoint keys: 472 parameters plus 94 num_batches_tracked', async () => {
    const { path } = findFidInceptionWeights({ env: { HOME: home, TORCH_HOME: torchHome } });
    const index = await readPthIndex(path!);
    expect(index).toHaveLength(566);
    const shapes = fidInceptionParameterShapes();
    const mapped = new Set<string>();
    let skipped = 0;
    for (const e of index) {
      const name = checkpointKeyToParameter(e.key);
      if (name === null) {
        expect(e.key).toMatch(/\.num_batches_tracked$/);
        skipped++;
      } else {
        expect(e.shape, e.key).toEqual(shapes.get(name));
        mapped.add(name);
      }
    }
    expect(skipped).toBe(94);
    expect(mapped.size).toBe(472);
    expect([...mapped].sort()).toEqual([...shapes.keys()]);
  });

  it('loads from the hub cache and reports the truncation (expected vs available bytes)', async () => {
    await expect(loadFidInceptionWeights({ env: { HOME: home, TORCH_HOME: torchHome }, backend: 'cpu' })).rejects.toThrow(
      /expected at least 1029783, available 818371; the complete checkpoint is 95628359 bytes\): the file is truncated/,
    );
  });

  it('says where to get the file when it is missing', async () => {
    const err = loadFidInceptionWeights({ env: { HOME: join(root, 'nobody') }, backend: 'cpu' });
    await expect(err).rejects.toThrow(/loadFidInceptionWeights: pt_inception-2015-12-05-6726825d\.pth not found/);
    await expect(err).rejects.toThrow(
      /https:\/\/github\.com\/mseitzer\/pytorch-fid\/releases\/download\/fid_weights\/pt_inception-2015-12-05-6726825d\.pth/,
    );
    await expect(err).rejects.toThrow(new RegExp(`put it in ${join(root, 'nobody', '.cache', 'torch', 'hub', 'checkpoints')}/`));
    await expect(err).rejects.toThrow(/RADIX_INCEPTION_WEIGHTS/);
  });
});

describe('FidInceptionV3 weight validation', () => {
  it('refuses missing, misshapen and unknown parameters', () => {
    const w = formulaWeights({ backend: 'cpu' });
    const fc = w['fc.bias']!;
    delete w['fc.bias'];
    expect(() => new FidInceptionV3(w)).toThrow(/FidInceptionV3: missing parameter 'fc.bias' \(shape \[1008\]\)/);
    w['fc.bias'] = tensor(new Float32Array(1000), { shape: [1000], backend: 'cpu' });
    expect(() => new FidInceptionV3(w)).toThrow(/parameter 'fc.bias' has shape \[1000\], expected \[1008\]/);
    w['fc.bias'].dispose();
    w['fc.bias'] = fc;
    w['aux.weight'] = tensor(new Float32Array(1), { shape: [1], backend: 'cpu' });
    expect(() => new FidInceptionV3(w)).toThrow(/FidInceptionV3: unexpected parameters aux.weight/);
    for (const t of Object.values(w)) t.dispose();
  });
});
