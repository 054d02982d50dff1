// diffusers model folders for UNet2DModel: read config.json + diffusion_pytorch_model.safetensors (or .bin through the
// core's .pth reader) and write the same layout atomically, so checkpoints move between Radix and diffusers.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Tensor, atomicWriteFile, dispose, loadPth, loadSafetensors, saveSafetensors } from '@radix/tensor-webgpu';
import { toDiffusersConfig } from './config.js';
import type { UNetLayerOptions } from './resnet-block.js';
import { UNet2DModel } from './unet-2d.js';

/** File names of a diffusers model folder. */
export const UNET_CONFIG_NAME = 'config.json';
/** The safetensors weights file of a diffusers model folder. */
export const UNET_WEIGHTS_NAME = 'diffusion_pytorch_model.safetensors';
/** The PyTorch pickle weights file of older diffusers model folders. */
export const UNET_BIN_NAME = 'diffusion_pytorch_model.bin';

/** Old diffusers attention keys (before the Attention refactor) and their current names, as diffusers converts them. */
const DEPRECATED_ATTENTION: [RegExp, string][] = [
  [/\.query\.(weight|bias)$/, '.to_q.$1'],
  [/\.key\.(weight|bias)$/, '.to_k.$1'],
  [/\.value\.(weight|bias)$/, '.to_v.$1'],
  [/\.proj_attn\.(weight|bias)$/, '.to_out.0.$1'],
];

/**
 * Renames pre-0.14 diffusers attention keys (`query`, `key`, `value`, `proj_attn`) to the current ones (`to_q`, `to_k`,
 * `to_v`, `to_out.0`); other keys pass unchanged.
 *
 * @example
 * renameDeprecatedAttentionKeys({ 'mid_block.attentions.0.query.weight': w }); // { 'mid_block.attentions.0.to_q.weight': w }
 */
export function renameDeprecatedAttentionKeys(sd: Record<string, Tensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(sd)) {
    let name = k;
    if (/\.attentions\.\d+\./.test(k)) for (const [re, to] of DEPRECATED_ATTENTION) name = name.replace(re, to);
    out[name] = v;
  }
  return out;
}

/**
 * Loads a diffusers UNet2DModel folder: `config.json` (diffusers' snake_case keys) and
 * `diffusion_pytorch_model.safetensors`, or `diffusion_pytorch_model.bin` (a torch.save state dict, read with the
 * restricted unpickler). Weights must match the config exactly: missing or unexpected keys and shape mismatches are
 * listed in the error, which names the file.
 *
 * @example
 * const unet = await loadUNet2DPretrained('ddpm-cifar10/unet', { backend: 'webgpu' });
 */
export async function loadUNet2DPretrained(dir: string, options: UNetLayerOptions = {}): Promise<UNet2DModel> {
  const cfgPath = join(dir, UNET_CONFIG_NAME);
  if (!existsSync(cfgPath)) throw new Error(`UNet2DModel.fromPretrained: ${cfgPath} does not exist (a diffusers model folder holds config.json and ${UNET_WEIGHTS_NAME})`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(cfgPath, 'utf8'));
  } catch (e) {
    throw new Error(`UNet2DModel.fromPretrained: ${cfgPath} is not valid JSON: ${(e as Error).message}`);
  }
  if (raw && typeof raw === 'object' && '_class_name' in raw && (raw as { _class_name: unknown })._class_name !== 'UNet2DModel') {
    throw new Error(`UNet2DModel.fromPretrained: ${cfgPath} describes a ${String((raw as { _class_name: unknown })._class_name)}, not a UNet2DModel`);
  }
  let unet: UNet2DModel;
  try {
    unet = UNet2DModel.fromConfig(raw as Record<string, unknown>, options);
  } catch (e) {
    throw new Error(`${(e as Error).message} (in ${cfgPath})`);
  }
  const st = join(dir, UNET_WEIGHTS_NAME);
  const bin = join(dir, UNET_BIN_NAME);
  const file = existsSync(st) ? st : existsSync(bin) ? bin : null;
  if (!file) {
    unet.dispose();
    throw new Error(`UNet2DModel.fromPretrained: ${dir} has neither ${UNET_WEIGHTS_NAME} nor ${UNET_BIN_NAME}`);
  }
  const load = { backend: options.backend };
  let sd: Record<string, Tensor> | undefined;
  try {
    sd = file === st ? await loadSafetensors(file, load) : await loadPth(file, load);
    unet.loadStateDict(renameDeprecatedAttentionKeys(sd));
  } catch (e) {
    unet.dispose();
    throw new Error(`UNet2DModel.fromPretrained: ${file}: ${(e as Error).message}`);
  } finally {
    if (sd) dispose(sd);
  }
  return unet;
}

/**
 * Writes a diffusers model folder (`config.json` + `diffusion_pytorch_model.safetensors`), each file atomically
 * (temp + rename); diffusers' `UNet2DModel.from_pretrained(dir)` reads it.
 *
 * @example
 * await saveUNet2DPretrained(unet, 'out/unet');
 */
export async function saveUNet2DPretrained(unet: UNet2DModel, dir: string, stateDict?: Record<string, Tensor>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const sd = stateDict ?? unet.stateDict();
  try {
    await saveSafetensors(join(dir, UNET_WEIGHTS_NAME), sd, { format: 'pt' });
  } finally {
    if (!stateDict) dispose(sd);
  }
  const json = `${JSON.stringify(toDiffusersConfig(unet.config), null, 2)}\n`;
  await atomicWriteFile(join(dir, UNET_CONFIG_NAME), [new TextEncoder().encode(json)]);
}
