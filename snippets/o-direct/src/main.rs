// O_DIRECT moves data between the storage and the caller's buffer without the
// page cache. The price is alignment: the buffer's address, the file offset
// and every segment length must be multiples of what the file system asks
// for. statx(STATX_DIOALIGN) says what that is; statfs says which file
// system it is. The program runs the same reads on a disk file system (the
// temp dir) and on tmpfs (/dev/shm) and checks each result against statx.
use std::fs::{self, File, OpenOptions};
use std::io::{IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use memmap2::MmapMut;
use nix::errno::Errno;
use nix::fcntl::{posix_fadvise, PosixFadviseAdvice};
use nix::libc;
use nix::sys::statfs::{self, fstatfs};
use nix::sys::uio::{pread, preadv};

/// Size of each test file: 16 pages of "Hello, World!" repeated.
const FILE_LEN: usize = 64 * 1024;

fn main() -> ExitCode {
    let result = match std::env::args().nth(1).as_deref() {
        Some("bench") => bench(),
        _ => run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("o-direct: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    println!(
        "each file: {FILE_LEN} bytes of \"Hello, World!\" repeated, \
         created here and removed"
    );
    let mut einval_seen = false;
    for (label, base) in [
        ("temp dir", std::env::temp_dir()),
        ("/dev/shm", PathBuf::from("/dev/shm")),
    ] {
        println!("== {label}");
        // The directory (and the file in it) goes away when `scratch` is
        // dropped, also when `on_file_system` returns early with an error.
        let scratch = match Scratch::new(&base) {
            Ok(s) => s,
            Err(e) => {
                println!("   cannot create a directory there ({e}): skipped");
                continue;
            }
        };
        einval_seen |= on_file_system(&scratch.0.join("data"))?;
    }
    expect(
        einval_seen,
        "no file system here rejected a misaligned O_DIRECT read with EINVAL",
    )
}

/// Everything for one file system; returns whether a read failed with EINVAL.
fn on_file_system(path: &Path) -> Result<bool, String> {
    let mut f = File::create(path).map_err(|e| format!("create: {e}"))?;
    let pattern = b"Hello, World!".iter().cycle().take(FILE_LEN);
    f.write_all(&pattern.copied().collect::<Vec<u8>>())
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("write: {e}"))?;
    drop(f);

    let Some((file, align)) = open_direct(path)? else {
        return Ok(false);
    };
    let mut buf = aligned_buffer()?;
    let einval = eight_reads(&file, &mut buf, align)?;
    follow_the_cache(&file, path)?;
    Ok(einval)
}

// ANCHOR: open
/// Opens with O_DIRECT (None: the file system refuses the flag), names the
/// file system and asks statx for the direct I/O alignment.
fn open_direct(path: &Path) -> Result<Option<(File, Alignment)>, String> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            println!(
                "   open(O_DIRECT): {e}: this file system has no O_DIRECT"
            );
            return Ok(None);
        }
        Err(e) => return Err(format!("open(O_DIRECT): {e}")),
    };
    let fs = fstatfs(file.as_fd()).map_err(|e| format!("fstatfs: {e}"))?;
    let blksize = file
        .metadata()
        .map_err(|e| format!("fstat: {e}"))?
        .blksize();
    println!(
        "   statfs: f_type {:#x} {}; open(O_DIRECT): ok; st_blksize={blksize}",
        fs.filesystem_type().0,
        fs_name(fs.filesystem_type())
    );

    let align = dio_align(&file)?;
    match align {
        Some((0, 0)) => println!(
            "   statx STATX_DIOALIGN: 0 and 0 (no direct I/O on this file)"
        ),
        Some((mem, off)) => {
            println!(
                "   statx STATX_DIOALIGN: \
                 dio_mem_align={mem} dio_offset_align={off}"
            )
        }
        None => println!(
            "   statx STATX_DIOALIGN: not reported by this file system"
        ),
    }
    Ok(Some((file, align)))
}
// ANCHOR_END: open

// ANCHOR: buffer
/// An anonymous mapping starts on a page boundary: the aligned buffer the
/// note built with mmap. Reads start at `page + shift` in it.
fn aligned_buffer() -> Result<MmapMut, String> {
    MmapMut::map_anon(4 * 4096).map_err(|e| format!("mmap: {e}"))
}
// ANCHOR_END: buffer

// ANCHOR: reads
/// The eight reads, each checked against what statx says of it; returns
/// whether one failed with EINVAL.
fn eight_reads(
    file: &File,
    buf: &mut MmapMut,
    align: Alignment,
) -> Result<bool, String> {
    // (buffer shift, segment lengths, file offset): one segment is a pread,
    // two are a preadv.
    let reads: [(usize, &[usize], i64, &str); 8] = [
        (0, &[8192], 0, "the note's read"),
        (0, &[8193], 0, "the note's EINVAL: one byte more"),
        (0, &[4608], 0, "9 x 512, not a multiple of st_blksize"),
        (0, &[4096], 1, "file offset not aligned"),
        (512, &[4096], 0, "buffer 512 bytes into the page"),
        (1, &[4096], 0, "buffer 1 byte into the page"),
        (0, &[4096, 4096], 0, "two aligned segments"),
        (0, &[4095, 4097], 0, "segments not aligned, their sum is"),
    ];
    let mut einval = false;
    for (shift, segments, offset, why) in reads {
        let at = buf.as_ptr() as usize + shift;
        let aligned = align.map(|a| statx_allows(a, at, segments, offset));
        let result = read_at(file, &mut buf[shift..], segments, offset);
        let call = format!(
            "{:<6} len {:<9} off {offset} buf page+{shift:<3}",
            if segments.len() == 1 {
                "pread"
            } else {
                "preadv"
            },
            segments
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join("+"),
        );
        let shown = match result {
            Ok(n) => format!("Ok({n})"),
            Err(e) => format!("{e:?} (os error {})", e as i32),
        };
        let predicted = match aligned {
            Some(true) => "aligned",
            Some(false) => "misaligned",
            None => "-",
        };
        println!("   {call} -> {shown:<21} statx: {predicted:<10} {why}");
        einval |= result == Err(Errno::EINVAL);
        // Where statx gives the rule, an aligned read must work; open(2)
        // lets a misaligned one fail with EINVAL or fall back to buffered I/O.
        let total: usize = segments.iter().sum();
        let fine = match aligned {
            Some(true) => result == Ok(total),
            _ => result == Ok(total) || result == Err(Errno::EINVAL),
        };
        expect(fine, &format!("{call} -> {shown} (statx: {predicted})"))?;
    }
    println!("   first bytes read: {:?}", first_bytes(buf));
    Ok(einval)
}
// ANCHOR_END: reads

// ANCHOR: cache
/// One file through four steps, counting its pages in the page cache.
fn follow_the_cache(file: &File, path: &Path) -> Result<(), String> {
    let mut steps = vec![("write+fsync", cached_pages(file))];
    posix_fadvise(file.as_fd(), 0, 0, PosixFadviseAdvice::POSIX_FADV_DONTNEED)
        .map_err(|e| format!("posix_fadvise: {e}"))?;
    steps.push(("POSIX_FADV_DONTNEED", cached_pages(file)));
    let mut whole =
        MmapMut::map_anon(FILE_LEN).map_err(|e| format!("mmap: {e}"))?;
    let direct = pread(file.as_fd(), &mut whole, 0);
    steps.push(("O_DIRECT read", cached_pages(file)));
    let mut buffered = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buffered))
        .map_err(|e| format!("buffered read: {e}"))?;
    steps.push(("buffered read", cached_pages(file)));
    let shown: Vec<String> =
        steps.iter().map(|(w, n)| format!("{w} {n}")).collect();
    println!("   pages in the page cache: {}", shown.join(" -> "));
    expect(
        direct == Ok(FILE_LEN)
            && buffered.len() == FILE_LEN
            && whole[..] == buffered[..],
        "the O_DIRECT and the buffered read should return the same 64 KiB",
    )
}
// ANCHOR_END: cache

/// One pread (one segment) or preadv (several), segments laid out one after
/// the other from the start of `buf`.
fn read_at(
    file: &File,
    buf: &mut [u8],
    segments: &[usize],
    offset: i64,
) -> nix::Result<usize> {
    if let [len] = segments {
        return pread(file.as_fd(), &mut buf[..*len], offset);
    }
    let mut iov = Vec::new();
    let mut rest = buf;
    for len in segments {
        let (seg, tail) = rest.split_at_mut(*len);
        iov.push(IoSliceMut::new(seg));
        rest = tail;
    }
    preadv(file.as_fd(), &mut iov, offset)
}

// ANCHOR: statx
/// (memory alignment, offset and length alignment) for direct I/O on a
/// file, or None when the file system does not report them.
type Alignment = Option<(u32, u32)>;

/// The alignment from statx(2).
fn dio_align(file: &File) -> Result<Alignment, String> {
    // SAFETY: statx is a plain C struct; all zeroes is a valid value.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: an empty path with AT_EMPTY_PATH means the open fd itself; the
    // kernel writes only into `stx`.
    let rc = unsafe {
        libc::statx(
            file.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            libc::STATX_DIOALIGN,
            &mut stx,
        )
    };
    if rc != 0 {
        return Err(format!("statx: {}", std::io::Error::last_os_error()));
    }
    if stx.stx_mask & libc::STATX_DIOALIGN == 0 {
        return Ok(None);
    }
    Ok(Some((stx.stx_dio_mem_align, stx.stx_dio_offset_align)))
}

/// Whether a read follows the rule statx gave: the buffer address of every
/// segment a multiple of `dio_mem_align`, the file offset and every segment
/// length a multiple of `dio_offset_align` (0 and 0: no direct I/O at all).
fn statx_allows(
    (mem, off): (u32, u32),
    mut at: usize,
    segments: &[usize],
    offset: i64,
) -> bool {
    if mem == 0 || off == 0 {
        return false;
    }
    let (mem, off) = (mem as usize, off as usize);
    let mut ok = (offset as usize).is_multiple_of(off);
    for len in segments {
        ok &= at.is_multiple_of(mem) && len.is_multiple_of(off);
        at += len;
    }
    ok
}
// ANCHOR_END: statx

// ANCHOR: cachestat
/// Pages of the file in the page cache, from cachestat(2) (Linux 6.5).
fn cached_pages(file: &File) -> String {
    #[repr(C)]
    struct Range {
        off: u64,
        len: u64, // 0: up to the end of the file
    }
    #[repr(C)]
    #[derive(Default)]
    struct Cachestat {
        nr_cache: u64,
        nr_dirty: u64,
        nr_writeback: u64,
        nr_evicted: u64,
        nr_recently_evicted: u64,
    }
    // 451 on every architecture but alpha; the libc crate has no constant yet.
    const SYS_CACHESTAT: libc::c_long = 451;
    let range = Range { off: 0, len: 0 };
    let mut cs = Cachestat::default();
    // SAFETY: the kernel reads `range` and writes `cs`, both #[repr(C)].
    let rc = unsafe {
        libc::syscall(SYS_CACHESTAT, file.as_raw_fd(), &range, &mut cs, 0)
    };
    match Errno::result(rc) {
        Ok(_) => cs.nr_cache.to_string(),
        Err(e) => format!("? (cachestat: {e})"),
    }
}
// ANCHOR_END: cachestat

const MIB: usize = 1 << 20;
/// The benchmark's file size, in MiB.
const BENCH_MIB: usize = 64;
/// Each way of reading is timed this many times.
const REPS: usize = 5;

/// `o-direct bench`: buffered against O_DIRECT reads of a 64 MiB file, in
/// 1 MiB calls. "Cold" means this file's pages were dropped from the page
/// cache with POSIX_FADV_DONTNEED first (not the whole system's cache).
fn bench() -> Result<(), String> {
    let scratch = Scratch::new(&std::env::temp_dir())
        .map_err(|e| format!("mkdir: {e}"))?;
    let path = scratch.0.join("data");
    let wrote = write_bench_file(&path)?;
    println!(
        "file: {BENCH_MIB} MiB in the temp dir; reads of 1 MiB; \
         each way {REPS} times"
    );
    println!("write + fsync: {} ms", ms(wrote));
    let (mut times, cached) = time_three_ways(&path)?;

    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>11}  in page cache after",
        "way of reading", "best", "median", "worst", "best rate"
    );
    let names = ["buffered, cold", "buffered, warm", "O_DIRECT"];
    for ((name, t), pages) in names.iter().zip(&mut times).zip(&cached) {
        t.sort();
        let rate = BENCH_MIB as f64 / t[0].as_secs_f64().max(1e-9);
        println!(
            "{name:<24} {:>6} ms {:>6} ms {:>6} ms {:>5.0} MiB/s  {pages} pages",
            ms(t[0]),
            ms(t[REPS / 2]),
            ms(t[REPS - 1]),
            rate
        );
    }
    // Other processes' memory pressure may evict a few pages at once, so a
    // buffered read must leave at least 90% of the file cached, not all.
    let pages = (BENCH_MIB * MIB / 4096) as u64;
    let buffered = cached[0].parse::<u64>().unwrap_or(0);
    expect(
        buffered * 10 >= pages * 9 && cached[2] == "0",
        "a buffered read fills the page cache, an O_DIRECT read does not",
    )
}

/// MiB number i holds bytes of value i; written, then fsynced.
fn write_bench_file(path: &Path) -> Result<Duration, String> {
    let start = Instant::now();
    let mut f = File::create(path).map_err(|e| format!("create: {e}"))?;
    let mut chunk = vec![0u8; MIB];
    for i in 0..BENCH_MIB {
        chunk.fill(i as u8);
        f.write_all(&chunk).map_err(|e| format!("write: {e}"))?;
    }
    f.sync_all().map_err(|e| format!("fsync: {e}"))?;
    Ok(start.elapsed())
}

// ANCHOR: bench
/// Each way REPS times: buffered cold (this file's pages dropped first),
/// buffered warm, O_DIRECT; with the file's cached pages after each way.
fn time_three_ways(
    path: &Path,
) -> Result<([Vec<Duration>; 3], [String; 3]), String> {
    let direct = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .map_err(|e| format!("open(O_DIRECT): {e}"))?;
    let mut aligned =
        MmapMut::map_anon(MIB).map_err(|e| format!("mmap: {e}"))?;
    let mut plain = vec![0u8; MIB];
    let drop_cache = || {
        posix_fadvise(
            direct.as_fd(),
            0,
            0,
            PosixFadviseAdvice::POSIX_FADV_DONTNEED,
        )
        .map_err(|e| format!("posix_fadvise: {e}"))
    };
    let mut times: [Vec<Duration>; 3] = Default::default();
    let mut cached: [String; 3] = Default::default();
    for _ in 0..REPS {
        drop_cache()?;
        times[0].push(timed(|| read_buffered(path, &mut plain))?);
        cached[0] = cached_pages(&direct);
        times[1].push(timed(|| read_buffered(path, &mut plain))?);
        cached[1] = cached_pages(&direct);
        drop_cache()?;
        times[2].push(timed(|| read_direct(&direct, &mut aligned))?);
        cached[2] = cached_pages(&direct);
    }
    Ok((times, cached))
}
// ANCHOR_END: bench

fn timed(f: impl FnOnce() -> Result<(), String>) -> Result<Duration, String> {
    let start = Instant::now();
    f()?;
    Ok(start.elapsed())
}

// ANCHOR: bench_readers
/// Reads the whole file through the page cache, checking each MiB.
fn read_buffered(path: &Path, buf: &mut [u8]) -> Result<(), String> {
    let mut f = File::open(path).map_err(|e| format!("open: {e}"))?;
    for i in 0..BENCH_MIB {
        f.read_exact(buf).map_err(|e| format!("read: {e}"))?;
        check_mib(i, buf)?;
    }
    Ok(())
}

/// Reads the whole file with O_DIRECT into a page-aligned buffer.
fn read_direct(file: &File, buf: &mut [u8]) -> Result<(), String> {
    for i in 0..BENCH_MIB {
        let n = pread(file.as_fd(), buf, (i * MIB) as i64)
            .map_err(|e| format!("pread: {e}"))?;
        expect(n == MIB, "a full 1 MiB O_DIRECT read")?;
        check_mib(i, buf)?;
    }
    Ok(())
}
// ANCHOR_END: bench_readers

/// The first and last byte of MiB number `i` must be `i`.
fn check_mib(i: usize, buf: &[u8]) -> Result<(), String> {
    let ok = buf.first() == Some(&(i as u8)) && buf.last() == Some(&(i as u8));
    expect(ok, &format!("MiB {i} read back as written"))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn fs_name(t: statfs::FsType) -> &'static str {
    let known = [
        (statfs::EXT4_SUPER_MAGIC, "EXT4_SUPER_MAGIC (ext2/3/4)"),
        (statfs::TMPFS_MAGIC, "TMPFS_MAGIC (tmpfs)"),
        (statfs::XFS_SUPER_MAGIC, "XFS_SUPER_MAGIC (xfs)"),
        (statfs::BTRFS_SUPER_MAGIC, "BTRFS_SUPER_MAGIC (btrfs)"),
        (
            statfs::OVERLAYFS_SUPER_MAGIC,
            "OVERLAYFS_SUPER_MAGIC (overlay)",
        ),
        (statfs::NFS_SUPER_MAGIC, "NFS_SUPER_MAGIC (nfs)"),
    ];
    known
        .iter()
        .find(|(magic, _)| *magic == t)
        .map_or("(another file system)", |(_, name)| name)
}

fn first_bytes(buf: &[u8]) -> String {
    String::from_utf8_lossy(&buf[..20]).into_owned()
}

/// A fresh directory, removed with everything in it when dropped: early
/// returns with `?` clean up too.
struct Scratch(PathBuf);

impl Scratch {
    fn new(base: &Path) -> std::io::Result<Scratch> {
        let mut n = 0;
        loop {
            let dir = base.join(format!("o-direct-{}-{n}", std::process::id()));
            match fs::create_dir(&dir) {
                Ok(()) => return Ok(Scratch(dir)),
                Err(e)
                    if e.kind() == std::io::ErrorKind::AlreadyExists
                        && n < 100 =>
                {
                    n += 1
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("behaviour not seen: {what}"))
    }
}
