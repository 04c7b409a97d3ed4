"""Host-side costs behind the K/V write-back (HostWriteBack), on the GPU machine (python3 with torch):

  python3 benchmarks/Cuda/host_copy_probe.py

The write-back copies new K/V rows device -> pinned ring (PCIe), then the CPU copies them into the segment's pageable
host memory. Measured here, for 1 and 4 GiB:
  - cudaHostRegister of fresh (never touched) and of touched anonymous memory: what pinning a segment in place costs;
  - device -> host copies into pinned (cudaHostAlloc), registered and pageable memory;
  - a CPU copy between two touched buffers (numpy, one thread), the second hop of today's write-back.
"""
import ctypes
import mmap
import time

import numpy as np
import torch

GIB = 1 << 30


def now() -> float:
    torch.cuda.synchronize()
    return time.perf_counter()


def rate(nbytes: int, seconds: float) -> str:
    return f"{seconds * 1e3:8.1f} ms  {nbytes / seconds / 1e9:6.1f} GB/s"


def main() -> None:
    cudart = torch.cuda.cudart()
    print(torch.cuda.get_device_name(0), "torch", torch.__version__)
    device = torch.empty(4 * GIB, dtype=torch.uint8, device="cuda")
    device.fill_(1)
    for size in (GIB, 4 * GIB):
        src = device[:size]
        print(f"\n{size // GIB} GiB")
        # Pinned by allocation.
        t = time.perf_counter()
        pinned = torch.empty(size, dtype=torch.uint8, pin_memory=True)
        print("  cudaHostAlloc (torch pin_memory)      ", rate(size, time.perf_counter() - t))
        for i in range(2):
            t = now()
            pinned.copy_(src, non_blocking=True)
            print(f"  D2H into pinned, run {i}              ", rate(size, now() - t))
        del pinned
        # Registered in place: fresh pages, then touched pages.
        for touched in (False, True):
            buf = mmap.mmap(-1, size)
            host = np.frombuffer(buf, dtype=np.uint8)
            if touched:
                host[::4096] = 1
            addr = host.ctypes.data
            t = time.perf_counter()
            err = cudart.cudaHostRegister(addr, size, 0)
            took = time.perf_counter() - t
            print(f"  cudaHostRegister, {'touched' if touched else 'fresh'} pages    ", rate(size, took), f"(error {int(err)})")
            if int(err) == 0:
                view = torch.from_numpy(host)
                for i in range(2):
                    t = now()
                    view.copy_(src, non_blocking=True)
                    print(f"  D2H into registered, run {i}          ", rate(size, now() - t))
                t = time.perf_counter()
                cudart.cudaHostUnregister(addr)
                print("  cudaHostUnregister                    ", rate(size, time.perf_counter() - t))
                del view
            del host  # the mmap closes once no array views it
        # Pageable destination, touched.
        pageable = np.ones(size, dtype=np.uint8)
        view = torch.from_numpy(pageable)
        t = now()
        view.copy_(src)
        print("  D2H into pageable (touched)           ", rate(size, now() - t))
        other = np.empty_like(pageable)
        other[::4096] = 0
        t = time.perf_counter()
        np.copyto(other, pageable)
        print("  CPU copy, one thread (touched)        ", rate(size, time.perf_counter() - t))
        del pageable, other, view


if __name__ == "__main__":
    main()
