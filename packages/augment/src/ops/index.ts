// Public exports of the GPU batch image operations (geometry, colour, noise, blur, cutout).
export * from './geometry.js';
export * from './color.js';
export * from './elastic.js';
