// Whether ops record the graph: noGrad/enableGrad scopes, like torch.no_grad and torch.enable_grad.

let enabled = true;

/** True when new ops record autograd history. @example if (isGradEnabled()) ... */
export function isGradEnabled(): boolean {
  return enabled;
}

function withMode<T>(mode: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = mode;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    enabled = prev;
    throw e;
  }
  if (result instanceof Promise) {
    // Restore when an async body settles; other work interleaved meanwhile sees this mode.
    return result.finally(() => {
      enabled = prev;
    }) as T;
  }
  enabled = prev;
  return result;
}

/**
 * Runs `fn` without recording gradients (inference, optimizer updates), like `torch.no_grad()`.
 *
 * @example
 * const y = noGrad(() => model.forward(x));
 */
export function noGrad<T>(fn: () => T): T {
  return withMode(false, fn);
}

/**
 * Runs `fn` with gradient recording on, even inside `noGrad`.
 *
 * @example
 * enableGrad(() => x.mul(2));
 */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn);
}
