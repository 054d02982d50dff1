// Loading torchvision checkpoints (.pth or .safetensors) into the torchvision networks, with errors that name the file,
// the keys that do not match and where the expected file comes from (nothing is downloaded).
import { existsSync } from 'node:fs';
import { loadPth, loadSafetensors, nn, type Backend, type BackendName, type Tensor } from '@radix/tensor-webgpu';
import { TorchvisionResNet50, type ResNet50Options } from './resnet50.js';
import { TorchvisionVGG16, type Vgg16Options } from './vgg16.js';

/** torchvision's published ImageNet checkpoints of the two networks. */
export const TORCHVISION_WEIGHTS = Object.freeze({
  vgg16: { file: 'vgg16-397923af.pth', url: 'https://download.pytorch.org/models/vgg16-397923af.pth' },
  resnet50: { file: 'resnet50-0676ba61.pth', url: 'https://download.pytorch.org/models/resnet50-0676ba61.pth', v2: 'resnet50-11ad3fa6.pth' },
});

/**
 * Reads a state dict from a `.pth` (either torch.save format) or `.safetensors` file and loads it into `net` strictly:
 * every key torchvision's network has, nothing else, matching shapes. The file's tensors are freed afterwards.
 *
 * @example
 * await loadCheckpointInto('loadTorchvisionResNet50', new TorchvisionResNet50(), 'resnet50-0676ba61.pth', 'torchvision …');
 */
export async function loadCheckpointInto<M extends nn.AnyModule>(fn: string, net: M, path: string, source: string, backend?: BackendName | Backend): Promise<M> {
  if (typeof path !== 'string' || !existsSync(path)) {
    net.dispose();
    throw new Error(`${fn}: the weights file '${String(path)}' does not exist (expected ${source}; nothing is downloaded)`);
  }
  let sd: Record<string, Tensor> = {};
  try {
    const opts = backend === undefined ? {} : { backend };
    sd = path.endsWith('.safetensors') ? await loadSafetensors(path, opts) : await loadPth(path, opts);
    net.loadStateDict(sd);
    return net;
  } catch (e) {
    net.dispose();
    throw new Error(`${fn}: cannot load '${path}' (expected ${source}): ${(e as Error).message}`);
  } finally {
    for (const t of Object.values(sd)) t.dispose();
  }
}

/**
 * torchvision's VGG16 with the weights of a torchvision checkpoint (e.g. `vgg16-397923af.pth`).
 *
 * @example
 * const vgg = await loadTorchvisionVGG16('/models/vgg16-397923af.pth', { output: 'fc2_relu' });
 */
export async function loadTorchvisionVGG16(path: string, options: Vgg16Options = {}): Promise<TorchvisionVGG16> {
  const w = TORCHVISION_WEIGHTS.vgg16;
  return loadCheckpointInto('loadTorchvisionVGG16', new TorchvisionVGG16(options), path, `torchvision ${w.file} (${w.url})`, options.backend);
}

/**
 * torchvision's ResNet-50 with the weights of a torchvision checkpoint (`resnet50-0676ba61.pth`, IMAGENET1K_V1, or
 * `resnet50-11ad3fa6.pth`, V2).
 *
 * @example
 * const resnet = await loadTorchvisionResNet50('/models/resnet50-0676ba61.pth');
 */
export async function loadTorchvisionResNet50(path: string, options: ResNet50Options = {}): Promise<TorchvisionResNet50> {
  const w = TORCHVISION_WEIGHTS.resnet50;
  return loadCheckpointInto('loadTorchvisionResNet50', new TorchvisionResNet50(options), path, `torchvision ${w.file} (${w.url}) or ${w.v2}`, options.backend);
}
