// Test helper: the reference cases written by tools/reference/gen_gan_networks.py (stylegan2-ada-pytorch's own networks).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StyleGAN2DiscriminatorConfig } from './discriminator.js';
import type { StyleGAN2GeneratorConfig } from './generator.js';

/** One case of fixtures/networks/networks.json. */
export interface NetworkFixtureCase {
  name: string;
  perturbed: boolean;
  batch: number;
  G_config: StyleGAN2GeneratorConfig;
  D_config: StyleGAN2DiscriminatorConfig;
  G_keys: [string, number[]][];
  D_keys: [string, number[]][];
  G_num_ws: number;
  G_grads: string[];
  D_grads: string[];
  R1_grads: string[];
  R1_zero: string[];
  r1_gamma: number;
  file: string;
}

/** The fixture folder of the networks. */
export const NETWORK_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'networks');

/** Reads networks.json. */
export function networkFixtureCases(): { commit: string; tolerance: { rtol: number; atol: number }; cases: NetworkFixtureCase[] } {
  return JSON.parse(readFileSync(join(NETWORK_FIXTURES, 'networks.json'), 'utf8'));
}
