//! The seccomp filter bwrap installs (`--seccomp FD`) in every sandbox:
//! sockets of any family but AF_UNIX are refused (EAFNOSUPPORT), and so is
//! io_uring, which can make sockets without the socket call. The network
//! namespace already leaves only a loopback; this keeps a run from holding
//! TCP buffers at all (cgroup v1 does not charge them to the run's memory
//! bound), and no snippet uses a socket but a Unix one. A system call of
//! another ABI (x32, or 32-bit code on x86_64) gets ENOSYS.

/// One BPF instruction, as the kernel reads it (`struct sock_filter`).
fn insn(code: u16, jt: u8, jf: u8, k: u32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..2].copy_from_slice(&code.to_ne_bytes());
    b[2] = jt;
    b[3] = jf;
    b[4..].copy_from_slice(&k.to_ne_bytes());
    b
}

/// The filter program, or None on an architecture it does not know.
pub fn filter() -> Option<Vec<u8>> {
    // AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64.
    let arch: u32 = match std::env::consts::ARCH {
        "x86_64" => 0xC000_003E,
        "aarch64" => 0xC000_00B7,
        _ => return None,
    };
    const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const JGE: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
    const RET: u16 = 0x06; // BPF_RET | BPF_K
    const ALLOW: u32 = 0x7fff_0000;
    const ERRNO: u32 = 0x0005_0000;
    let n = |x: libc::c_long| x as u32;
    // seccomp_data: nr at 0, arch at 4, args[0] at 16 (its low half on
    // a little-endian machine: the family is an int).
    let prog = [
        insn(LD_W_ABS, 0, 0, 4),
        insn(JEQ, 1, 0, arch),
        insn(RET, 0, 0, ERRNO | libc::ENOSYS as u32),
        insn(LD_W_ABS, 0, 0, 0),
        insn(JGE, 8, 0, 0x4000_0000), // x32 numbers
        insn(JEQ, 3, 0, n(libc::SYS_socket)),
        insn(JEQ, 2, 0, n(libc::SYS_socketpair)),
        insn(JEQ, 5, 0, n(libc::SYS_io_uring_setup)),
        insn(RET, 0, 0, ALLOW),
        insn(LD_W_ABS, 0, 0, 16),
        insn(JEQ, 1, 0, libc::AF_UNIX as u32),
        insn(RET, 0, 0, ERRNO | libc::EAFNOSUPPORT as u32),
        insn(RET, 0, 0, ALLOW),
        insn(RET, 0, 0, ERRNO | libc::ENOSYS as u32),
    ];
    Some(prog.concat())
}
