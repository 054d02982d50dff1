// Where a path really points, even when it does not exist yet: the realpath of its nearest existing ancestor, with
// symbolic links in the missing part followed too — so "OUT inside IN" cannot be dodged through a link to a folder
// that will only be created by the write itself.
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

const MAX_LINKS = 40;

/**
 * The physical path `p` designates: `realpath(p)` when it exists; otherwise the physical path of its parent joined
 * with its last component — and if that component is a dangling symbolic link, the physical path of the link's target.
 *
 * @example
 * // link -> in/new (not created yet)
 * physicalPath('link/sub'); // '/data/in/new/sub'
 */
export function physicalPath(p: string, links = 0): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    // does not (fully) exist
  }
  const parent = dirname(abs);
  if (parent === abs) return abs;
  const base = join(physicalPath(parent, links), basename(abs));
  let isLink = false;
  try {
    isLink = lstatSync(base).isSymbolicLink();
  } catch {
    return base;
  }
  if (!isLink) return base;
  if (links >= MAX_LINKS) throw new Error(`'${p}' goes through more than ${MAX_LINKS} symbolic links`);
  return physicalPath(resolve(dirname(base), readlinkSync(base)), links + 1);
}

/**
 * True when `child` is `parent` or lies under it (both absolute).
 *
 * @example
 * isInside('/a/b/c', '/a/b'); // true
 */
export function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
