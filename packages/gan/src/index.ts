// Public barrel of @radix/gan: StyleGAN2 networks, losses, augmentation, freezing and training.
/** The package's version, as published. */
export const VERSION = '0.1.0';
