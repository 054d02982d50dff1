// Public barrel of @radix/diffusion: schedulers, the UNet, training and sampling.
/** The package's version, as published. */
export const VERSION = '0.1.0';
