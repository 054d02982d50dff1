// Reuses GPUBindGroups across dispatches: kernels bind their uniforms at a dynamic offset, so a bind group depends only
// on the layout and the (pooled, recycled) storage buffers. In Node, Dawn's objects are released only when the event
// loop runs, so a loop that never awaits must not create a bind group per dispatch (it exhausted lavapipe's pools).

/** A bounded LRU map from (layout, uniform size, buffers) to a bind group, purged when a buffer is destroyed. */
export class BindGroupCache {
  private readonly groups = new Map<string, { group: GPUBindGroup; buffers: GPUBuffer[] }>();
  private readonly byBuffer = new Map<GPUBuffer, Set<string>>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;
  /** Bind groups created (misses) and reused (hits) since construction. */
  created = 0;
  reused = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Most bind groups kept; the least recently used one is dropped beyond it. */
    readonly capacity = 4096,
  ) {}

  /** Stable small id of a buffer (part of the cache key). */
  id(b: GPUBuffer): number {
    let i = this.ids.get(b);
    if (i === undefined) this.ids.set(b, (i = this.nextId++));
    return i;
  }

  /**
   * The bind group of `layout` with the uniform `arena` (bound with a dynamic offset, `uniformBytes` wide) at binding 0
   * and `buffers` (whole) at bindings 1…n.
   */
  get(layout: GPUBindGroupLayout, layoutKey: string, arena: GPUBuffer, uniformBytes: number, buffers: readonly { buffer: GPUBuffer; size: number }[]): GPUBindGroup {
    let key = `${layoutKey}|${uniformBytes}`;
    for (const b of buffers) key += `|${this.id(b.buffer)}:${b.size}`;
    const hit = this.groups.get(key);
    if (hit) {
      this.reused++;
      // Refresh the entry's position (Map keeps insertion order: the first entry is the least recently used).
      this.groups.delete(key);
      this.groups.set(key, hit);
      return hit.group;
    }
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: arena, offset: 0, size: uniformBytes } }];
    buffers.forEach((b, i) => entries.push({ binding: i + 1, resource: { buffer: b.buffer, offset: 0, size: b.size } }));
    const group = this.device.createBindGroup({ layout, entries });
    this.created++;
    const list = buffers.map((b) => b.buffer);
    this.groups.set(key, { group, buffers: list });
    for (const b of list) {
      let s = this.byBuffer.get(b);
      if (!s) this.byBuffer.set(b, (s = new Set()));
      s.add(key);
    }
    if (this.groups.size > this.capacity) this.evict(this.groups.keys().next().value!);
    return group;
  }

  /** Forgets every bind group that references `b` (call before destroying it). */
  forget(b: GPUBuffer): void {
    const keys = this.byBuffer.get(b);
    if (!keys) return;
    for (const k of [...keys]) this.evict(k);
    this.byBuffer.delete(b);
  }

  /** Number of cached bind groups. */
  get size(): number {
    return this.groups.size;
  }

  private evict(key: string): void {
    const e = this.groups.get(key);
    if (!e) return;
    this.groups.delete(key);
    for (const b of e.buffers) {
      const s = this.byBuffer.get(b);
      s?.delete(key);
      if (s && s.size === 0) this.byBuffer.delete(b);
    }
  }
}
