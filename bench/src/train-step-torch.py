# PyTorch side of bench/train-step.mjs: times the workloads of train-step-spec.mjs (passed as JSON in argv[1]) on
# the CPU (argv[4] threads, default 1) or CUDA (argv[2] == 'cuda', fp32 eager) and prints one JSON object of median milliseconds.
import json, math, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

spec = json.loads(sys.argv[1])
device = sys.argv[2] if len(sys.argv) > 2 else 'cpu'
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)
dev = torch.device(device)


def sync():
    if dev.type == 'cuda':
        torch.cuda.synchronize()


def timed(fn, warmup=1, n=reps):
    for _ in range(warmup):
        fn()
    sync()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        sync()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    m = len(samples)
    return samples[m // 2] if m % 2 else (samples[m // 2 - 1] + samples[m // 2]) / 2


class UNetLike(nn.Module):
    def __init__(self, g):
        super().__init__()
        c = lambda i, o, **k: nn.Conv2d(i, o, 3, padding=1, **k)
        self.c1, self.n1 = c(3, 64), nn.GroupNorm(g, 64)
        self.c2, self.n2 = c(64, 64), nn.GroupNorm(g, 64)
        self.down, self.n3 = c(64, 128, stride=2), nn.GroupNorm(g, 128)
        self.mid, self.n4 = c(128, 128), nn.GroupNorm(g, 128)
        self.up, self.n5 = nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.GroupNorm(g, 64)
        self.c5, self.n6 = c(128, 64), nn.GroupNorm(g, 64)
        self.out = c(64, 3)

    def forward(self, x):
        a = F.silu(self.n1(self.c1(x)))
        h = F.silu(self.n2(self.c2(a)))
        d = F.silu(self.n3(self.down(h)))
        m = F.silu(self.n4(self.mid(d)))
        u = F.silu(self.n5(self.up(m)))
        o = F.silu(self.n6(self.c5(torch.cat([u, h], 1))))
        return self.out(o)


res = {'torch': torch.__version__, 'device': device, 'threads': torch.get_num_threads(), 'rows': {}}
if dev.type == 'cuda':
    res['adapter'] = torch.cuda.get_device_name(0)
R = res['rows']

u = spec['unet']
net = UNetLike(u['groups']).to(dev)
opt = torch.optim.Adam(net.parameters(), lr=u['lr'])
x = torch.randn(u['batch'], 3, u['size'], u['size'], device=dev)
y = torch.randn_like(x)


def step():
    opt.zero_grad()
    loss = F.mse_loss(net(x), y)
    loss.backward()
    opt.step()


R['unet step'] = timed(step, warmup=2)
# torch's Adam has one update rule: our op-by-op row is timed against the same step.
R['unet step, op-by-op optimizer'] = R['unet step']
if spec.get('unetOnly'):
    # bench/train-step.mjs's second PyTorch run at another thread count: the UNet step alone.
    print(json.dumps(res))
    sys.exit(0)
opt.zero_grad()
F.mse_loss(net(x), y).backward()
# torch's default Adam (per-tensor loop on the CPU, multi-tensor `foreach` on CUDA) against both of ours.
R['adam step over the UNet parameters, fused'] = timed(lambda: opt.step())
R['adam step over the UNet parameters, op by op'] = R['adam step over the UNet parameters, fused']
opt.zero_grad()

tiny = spec['tinyOps']
t_tiny = torch.randn(tiny['numel'], device=dev)


def tiny_ops():
    z = t_tiny
    for _ in range(tiny['count']):
        z = z + 1
    return z


R['%d tiny ops (x + 1, %d elements)' % (tiny['count'], tiny['numel'])] = timed(tiny_ops)


def ddim():
    with torch.no_grad():
        eps = net(x)
        return x * 0.98 + eps * 0.1


R['ddim step'] = timed(ddim)

for r in spec['convRows']:
    xi = torch.randn(r['n'], r['cin'], r['h'], r['w'], device=dev, requires_grad=True)
    w = torch.randn(r['cout'], r['cin'] // r['groups'], r['k'], r['k'], device=dev, requires_grad=True)
    kw = dict(stride=r['stride'], padding=r['pad'], groups=r['groups'])
    with torch.no_grad():
        R[r['name'] + ' forward'] = timed(lambda: F.conv2d(xi, w, None, **kw))
    out = F.conv2d(xi, w, None, **kw)
    g = torch.randn_like(out)
    R[r['name'] + ' backward'] = timed(lambda: torch.autograd.grad(out, [xi, w], g, retain_graph=True))

r = spec['convTransposeRow']
xi = torch.randn(r['n'], r['cin'], r['h'], r['w'], device=dev, requires_grad=True)
w = torch.randn(r['cin'], r['cout'], r['k'], r['k'], device=dev, requires_grad=True)
with torch.no_grad():
    R[r['name'] + ' forward'] = timed(lambda: F.conv_transpose2d(xi, w, None, stride=r['stride'], padding=r['pad']))
out = F.conv_transpose2d(xi, w, None, stride=r['stride'], padding=r['pad'])
g = torch.randn_like(out)
R[r['name'] + ' backward'] = timed(lambda: torch.autograd.grad(out, [xi, w], g, retain_graph=True))

r = spec['groupNormRow']
xi = torch.randn(r['n'], r['c'], r['h'], r['w'], device=dev, requires_grad=True)
gw = torch.randn(r['c'], device=dev, requires_grad=True)
gb = torch.randn(r['c'], device=dev, requires_grad=True)
g = torch.randn_like(xi)
with torch.no_grad():
    R['groupNorm forward'] = timed(lambda: F.group_norm(xi, r['groups'], gw, gb))
    R['elementwise x + g'] = timed(lambda: xi + g)
out = F.group_norm(xi, r['groups'], gw, gb)
R['groupNorm backward'] = timed(lambda: torch.autograd.grad(out, [xi, gw, gb], g, retain_graph=True))

xs = torch.randn(spec['siluNumel'], device=dev, requires_grad=True)
ys = F.silu(xs)
gs = torch.randn_like(ys)
R['silu backward'] = timed(lambda: torch.autograd.grad(ys, [xs], gs, retain_graph=True))

m = spec['modconv']
w0 = (torch.randn(m['c'], m['cin'], 3, 3, device=dev) * 0.2).requires_grad_()
w1 = (torch.randn(m['c'], m['c'], 3, 3, device=dev) * 0.05).requires_grad_()
style = torch.randn(m['n'], m['c'], device=dev) * 0.5 + 1
real = torch.randn(m['n'], m['cin'], m['size'], m['size'], device=dev)


def r1_step():
    xr = real.detach().requires_grad_()
    h = F.leaky_relu(F.conv2d(xr, w0, padding=1), 0.2) * math.sqrt(2)
    wm = w1[None] * style[:, None, :, None, None]
    wm = wm * torch.rsqrt(wm.square().sum([2, 3, 4], keepdim=True) + 1e-8)
    s = m['size']
    hm = F.conv2d(h.reshape(1, m['n'] * m['c'], s, s), wm.reshape(m['n'] * m['c'], m['c'], 3, 3), padding=1, groups=m['n'])
    h2 = F.leaky_relu(hm.reshape(m['n'], m['c'], s, s), 0.2) * math.sqrt(2)
    score = h2.mean([1, 2, 3])
    (gx,) = torch.autograd.grad(score.sum(), xr, create_graph=True)
    pen = gx.square().sum([1, 2, 3]).mean()
    loss = F.softplus(-score).mean() + pen * (m['gamma'] / 2)
    w0.grad = None
    w1.grad = None
    loss.backward()


R['modconv + R1 step'] = timed(r1_step)

if spec.get('matmul'):
    n = spec['matmul']['n']
    a = torch.randn(n, n, device=dev)
    b = torch.randn(n, n, device=dev)
    if dev.type == 'cuda':
        # fp32 as ours computes it: no TF32 tensor-core shortcut.
        torch.backends.cuda.matmul.allow_tf32 = False
    R['matmul %d×%d · %d×%d f32' % (n, n, n, n)] = timed(lambda: a @ b)
print(json.dumps(res))
