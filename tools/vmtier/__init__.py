"""vm-tier: run a command inside Debian's full kernel booted under qemu.

The development kernel lacks ipvlan, 802.1q, dummy, bridge vlan filtering...
Debian's linux-image-amd64 has them as modules.  This boots that kernel with
the host's own root filesystem (read-only over 9p, with a throw-away tmpfs
overlay), the working directory mounted read-write at the same path, and runs
COMMAND there with the caller's environment plus PYNETLINK_VM_TIER=1.

Modules, one concern each (tools/vm-tier is the command-line entry point):
  base       exit codes, errors, log
  proc       helper processes: run captured, kill a process group
  host       host packages (qemu, kmod) and apt
  kernel     the kernel cache: resolve the kernel, find or build its entry
  entry      a cache entry and its manifest
  build      building an entry: download, unpack, depmod, vmlinux, initramfs
  vmlinux    the ELF vmlinux (PVH entry) inside a vmlinuz
  modules    module closure from modules.dep, module lists
  cpio       newc cpio writer
  initramfs  the stage-1 initramfs
  shares     host directories the guest sees (working directory, /tmp binds)
  guest      the per-run guest scripts (stage 1 and stage 2)
  qemu       the qemu command line and accelerator
  supervise  run qemu, stream its output, enforce the deadline
  rundir     the per-run temp directory
  options    the command line
  cli        main: prepare, boot, exit status

Python 3.11 standard library only.
"""
