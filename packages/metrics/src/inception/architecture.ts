// The FID Inception-v3 layer table (torchvision's Inception3 names, as patched by pytorch-fid), shared by the
// network, the weight loaders and the formula weights so every parameter name and shape is defined once.

/** One BasicConv2d (conv without bias → batch norm eps 1e-3 → ReLU) of the network. */
export interface ConvSpec {
  /** Module path, e.g. `Mixed_5b.branch5x5_2`. */
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: [number, number];
  stride: number;
  padding: [number, number];
}

const conv = (name: string, cin: number, cout: number, k: number | [number, number], stride = 1, pad: number | [number, number] = 0): ConvSpec => ({
  name,
  inChannels: cin,
  outChannels: cout,
  kernel: typeof k === 'number' ? [k, k] : k,
  stride,
  padding: typeof pad === 'number' ? [pad, pad] : pad,
});

function inceptionA(p: string, cin: number, poolFeatures: number): ConvSpec[] {
  return [
    conv(`${p}.branch1x1`, cin, 64, 1),
    conv(`${p}.branch5x5_1`, cin, 48, 1), conv(`${p}.branch5x5_2`, 48, 64, 5, 1, 2),
    conv(`${p}.branch3x3dbl_1`, cin, 64, 1), conv(`${p}.branch3x3dbl_2`, 64, 96, 3, 1, 1), conv(`${p}.branch3x3dbl_3`, 96, 96, 3, 1, 1),
    conv(`${p}.branch_pool`, cin, poolFeatures, 1),
  ];
}

function inceptionB(p: string, cin: number): ConvSpec[] {
  return [
    conv(`${p}.branch3x3`, cin, 384, 3, 2),
    conv(`${p}.branch3x3dbl_1`, cin, 64, 1), conv(`${p}.branch3x3dbl_2`, 64, 96, 3, 1, 1), conv(`${p}.branch3x3dbl_3`, 96, 96, 3, 2),
  ];
}

function inceptionC(p: string, cin: number, c7: number): ConvSpec[] {
  return [
    conv(`${p}.branch1x1`, cin, 192, 1),
    conv(`${p}.branch7x7_1`, cin, c7, 1), conv(`${p}.branch7x7_2`, c7, c7, [1, 7], 1, [0, 3]), conv(`${p}.branch7x7_3`, c7, 192, [7, 1], 1, [3, 0]),
    conv(`${p}.branch7x7dbl_1`, cin, c7, 1), conv(`${p}.branch7x7dbl_2`, c7, c7, [7, 1], 1, [3, 0]),
    conv(`${p}.branch7x7dbl_3`, c7, c7, [1, 7], 1, [0, 3]), conv(`${p}.branch7x7dbl_4`, c7, c7, [7, 1], 1, [3, 0]),
    conv(`${p}.branch7x7dbl_5`, c7, 192, [1, 7], 1, [0, 3]),
    conv(`${p}.branch_pool`, cin, 192, 1),
  ];
}

function inceptionD(p: string, cin: number): ConvSpec[] {
  return [
    conv(`${p}.branch3x3_1`, cin, 192, 1), conv(`${p}.branch3x3_2`, 192, 320, 3, 2),
    conv(`${p}.branch7x7x3_1`, cin, 192, 1), conv(`${p}.branch7x7x3_2`, 192, 192, [1, 7], 1, [0, 3]),
    conv(`${p}.branch7x7x3_3`, 192, 192, [7, 1], 1, [3, 0]), conv(`${p}.branch7x7x3_4`, 192, 192, 3, 2),
  ];
}

function inceptionE(p: string, cin: number): ConvSpec[] {
  return [
    conv(`${p}.branch1x1`, cin, 320, 1),
    conv(`${p}.branch3x3_1`, cin, 384, 1), conv(`${p}.branch3x3_2a`, 384, 384, [1, 3], 1, [0, 1]), conv(`${p}.branch3x3_2b`, 384, 384, [3, 1], 1, [1, 0]),
    conv(`${p}.branch3x3dbl_1`, cin, 448, 1), conv(`${p}.branch3x3dbl_2`, 448, 384, 3, 1, 1),
    conv(`${p}.branch3x3dbl_3a`, 384, 384, [1, 3], 1, [0, 1]), conv(`${p}.branch3x3dbl_3b`, 384, 384, [3, 1], 1, [1, 0]),
    conv(`${p}.branch_pool`, cin, 192, 1),
  ];
}

/** Every BasicConv2d of the FID Inception-v3 in forward order (94 of them). */
export const FID_INCEPTION_CONVS: readonly ConvSpec[] = Object.freeze([
  conv('Conv2d_1a_3x3', 3, 32, 3, 2), conv('Conv2d_2a_3x3', 32, 32, 3), conv('Conv2d_2b_3x3', 32, 64, 3, 1, 1),
  conv('Conv2d_3b_1x1', 64, 80, 1), conv('Conv2d_4a_3x3', 80, 192, 3),
  ...inceptionA('Mixed_5b', 192, 32), ...inceptionA('Mixed_5c', 256, 64), ...inceptionA('Mixed_5d', 288, 64),
  ...inceptionB('Mixed_6a', 288),
  ...inceptionC('Mixed_6b', 768, 128), ...inceptionC('Mixed_6c', 768, 160), ...inceptionC('Mixed_6d', 768, 160), ...inceptionC('Mixed_6e', 768, 192),
  ...inceptionD('Mixed_7a', 768),
  ...inceptionE('Mixed_7b', 1280), ...inceptionE('Mixed_7c', 2048),
]);

/** Number of classes of the TF 2015-12-05 graph's classifier (1008, not 1000). */
export const FID_INCEPTION_CLASSES = 1008;

/**
 * The network's parameters (state-dict names, without `num_batches_tracked`) and their shapes, sorted by name
 * in byte order (472 entries).
 *
 * @example
 * fidInceptionParameterShapes().get('fc.weight'); // [1008, 2048]
 */
export function fidInceptionParameterShapes(): Map<string, number[]> {
  const entries: [string, number[]][] = [];
  for (const c of FID_INCEPTION_CONVS) {
    entries.push([`${c.name}.conv.weight`, [c.outChannels, c.inChannels, c.kernel[0], c.kernel[1]]]);
    for (const s of ['weight', 'bias', 'running_mean', 'running_var']) entries.push([`${c.name}.bn.${s}`, [c.outChannels]]);
  }
  entries.push(['fc.weight', [FID_INCEPTION_CLASSES, 2048]], ['fc.bias', [FID_INCEPTION_CLASSES]]);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new Map(entries);
}
