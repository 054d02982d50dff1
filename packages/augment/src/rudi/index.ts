// Public exports of the rudi family: the Augmentor-compatible pipeline, its preset, host RNG and geometry helpers.
export { Pipeline, type DrawnOperation, type DrawnSample, type GateMode, type SampleOptions, type SampleResult } from './pipeline.js';
export { rudiPreset, type RudiPresetOptions } from './preset.js';
export { HostRandom } from './host-random.js';
export { rotateCrop, rotateImage, zoomImage, flipImage, distortImage, skewPlane, skewImage, perspectiveCoefficients, type RotateCrop, type SkewType } from './geometry.js';
