// Autograd: grad mode, graph recording and reverse-mode differentiation.
export { noGrad, enableGrad, isGradEnabled } from './grad-mode.js';
export { backward, grad, type BackwardOptions, type GradOptions } from './backward.js';
export { record, GradNode, type BackwardRule } from './node.js';
