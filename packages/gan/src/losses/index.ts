// Losses of GAN training: adversarial terms, R1, path length, style mixing and D2D-CE conditioning.
export { discriminatorLoss, generatorLoss, type AdversarialLoss } from './adversarial.js';
export { r1Penalty, r1GammaHeuristic } from './r1.js';
export { PathLengthRegularizer, type PathLengthOptions } from './path-length.js';
export { d2dceLoss, type D2DCEOptions } from './d2d-ce.js';
export { mixStyles, drawMixingCutoff } from './style-mixing.js';
export { D2DCEHead, discriminatorWithFeatures, type D2DCEHeadOptions } from './d2d-ce-head.js';
