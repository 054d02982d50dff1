// Public exports of the memorisation check: nearest training images of generated ones, and a grid of the closest pairs.
export { nearestNeighbours, pixelVectors, type NearestNeighboursOptions, type NearestNeighboursResult } from './nearest-neighbours.js';
export { pairsGrid, type PairsGridOptions, type RgbImage } from './grid.js';
