//! Just enough of Mach-O, PE and ELF to check a binary built for another platform without
//! running it: which CPU it is for, and which shared libraries it loads.

use std::path::Path;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().expect("2 bytes"))
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}
fn c_str(b: &[u8], at: usize) -> String {
    let end = b[at..]
        .iter()
        .position(|&c| c == 0)
        .map_or(b.len(), |n| at + n);
    String::from_utf8_lossy(&b[at..end]).into_owned()
}

/// A 64-bit little-endian Mach-O executable, as far as the checks need it.
#[derive(Debug)]
pub struct MachO {
    /// `CPU_TYPE_X86_64` (0x0100_0007) or `CPU_TYPE_ARM64` (0x0100_000c).
    pub cpu_type: u32,
    /// `MH_EXECUTE` is 2.
    pub file_type: u32,
    /// The install names of LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB and LC_REEXPORT_DYLIB.
    pub dylibs: Vec<String>,
    /// LC_BUILD_VERSION's minimum OS, as (major, minor).
    pub min_os: Option<(u32, u32)>,
    /// Whether LC_CODE_SIGNATURE is present (arm64 macOS runs only signed code).
    pub code_signature: bool,
}

/// Parses the header and load commands of `path` (panics on anything else than a thin 64-bit
/// little-endian Mach-O).
pub fn mach_o(path: &Path) -> MachO {
    let b = std::fs::read(path).expect("read binary");
    assert_eq!(
        u32_at(&b, 0),
        0xfeed_facf,
        "{}: not a 64-bit Mach-O",
        path.display()
    );
    let mut m = MachO {
        cpu_type: u32_at(&b, 4),
        file_type: u32_at(&b, 12),
        dylibs: Vec::new(),
        min_os: None,
        code_signature: false,
    };
    let count = u32_at(&b, 16) as usize;
    let mut at = 32; // sizeof(mach_header_64)
    for _ in 0..count {
        let (cmd, size) = (u32_at(&b, at), u32_at(&b, at + 4) as usize);
        match cmd {
            // LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB: dylib_command.name offset.
            0xc | 0x8000_0018 | 0x8000_001f => {
                let name_offset = u32_at(&b, at + 8) as usize;
                m.dylibs.push(c_str(&b[..at + size], at + name_offset));
            }
            // LC_BUILD_VERSION: platform, then minos as xxxx.yy.zz nibbles.
            0x32 => {
                let minos = u32_at(&b, at + 12);
                m.min_os = Some((minos >> 16, (minos >> 8) & 0xff));
            }
            0x1d => m.code_signature = true,
            _ => {}
        }
        at += size;
    }
    m
}

/// A PE32+ image, as far as the checks need it.
#[derive(Debug)]
pub struct Pe {
    /// IMAGE_FILE_MACHINE_AMD64 is 0x8664.
    pub machine: u16,
    /// 3 is the console subsystem (a program Terraform can start with pipes).
    pub subsystem: u16,
    /// Whether IMAGE_FILE_EXECUTABLE_IMAGE is set and IMAGE_FILE_DLL is not.
    pub executable: bool,
    /// The DLLs of the import directory, as written.
    pub imports: Vec<String>,
}

/// Parses the headers and import directory of `path`.
pub fn pe(path: &Path) -> Pe {
    let b = std::fs::read(path).expect("read binary");
    assert_eq!(&b[..2], b"MZ", "{}: no DOS header", path.display());
    let pe = u32_at(&b, 0x3c) as usize;
    assert_eq!(
        &b[pe..pe + 4],
        b"PE\0\0",
        "{}: no PE signature",
        path.display()
    );
    let coff = pe + 4;
    let machine = u16_at(&b, coff);
    let sections = u16_at(&b, coff + 2) as usize;
    let optional_size = u16_at(&b, coff + 16) as usize;
    let characteristics = u16_at(&b, coff + 18);
    let opt = coff + 20;
    assert_eq!(u16_at(&b, opt), 0x20b, "{}: not PE32+", path.display());
    let subsystem = u16_at(&b, opt + 68);
    // Data directory 1 (imports) of PE32+ starts at optional header offset 112 + 8.
    let import_rva = u32_at(&b, opt + 120) as usize;
    let section_table = opt + optional_size;
    let to_offset = |rva: usize| -> usize {
        (0..sections)
            .map(|i| section_table + i * 40)
            .find_map(|s| {
                let (va, size) = (u32_at(&b, s + 12) as usize, u32_at(&b, s + 8) as usize);
                let raw = u32_at(&b, s + 20) as usize;
                (rva >= va && rva < va + size.max(u32_at(&b, s + 16) as usize))
                    .then(|| rva - va + raw)
            })
            .expect("RVA inside a section")
    };
    let mut imports = Vec::new();
    if import_rva != 0 {
        let mut desc = to_offset(import_rva);
        // IMAGE_IMPORT_DESCRIPTOR: 20 bytes, Name RVA at +12; an all-zero one ends the list.
        while u32_at(&b, desc + 12) != 0 {
            imports.push(c_str(&b, to_offset(u32_at(&b, desc + 12) as usize)));
            desc += 20;
        }
    }
    Pe {
        machine,
        subsystem,
        executable: characteristics & 0x0002 != 0 && characteristics & 0x2000 == 0,
        imports,
    }
}

/// A 64-bit little-endian ELF executable, as far as the checks need it.
#[derive(Debug)]
pub struct Elf {
    /// EM_X86_64 is 62, EM_AARCH64 is 183.
    pub machine: u16,
    /// PT_INTERP: the dynamic loader.
    pub interpreter: Option<String>,
    /// DT_NEEDED entries.
    pub needed: Vec<String>,
    /// The symbol versions required from each library (`.gnu.version_r`), e.g. "GLIBC_2.17".
    pub versions: Vec<String>,
}

/// Parses the program header, the dynamic section and the version needs of `path`.
pub fn elf(path: &Path) -> Elf {
    let b = std::fs::read(path).expect("read binary");
    assert_eq!(&b[..4], b"\x7fELF", "{}: not ELF", path.display());
    assert_eq!(
        (b[4], b[5]),
        (2, 1),
        "{}: not 64-bit little-endian",
        path.display()
    );
    let machine = u16_at(&b, 18);
    let (phoff, shoff) = (u64_at(&b, 32) as usize, u64_at(&b, 40) as usize);
    let (phentsize, phnum) = (u16_at(&b, 54) as usize, u16_at(&b, 56) as usize);
    let (shentsize, shnum) = (u16_at(&b, 58) as usize, u16_at(&b, 60) as usize);
    let mut interpreter = None;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32_at(&b, ph) == 3 {
            // PT_INTERP
            interpreter = Some(c_str(&b, u64_at(&b, ph + 8) as usize));
        }
    }
    let section = |i: usize| shoff + i * shentsize;
    let (mut needed, mut versions) = (Vec::new(), Vec::new());
    for i in 0..shnum {
        let sh = section(i);
        let (kind, offset, size) = (
            u32_at(&b, sh + 4),
            u64_at(&b, sh + 24) as usize,
            u64_at(&b, sh + 32) as usize,
        );
        let strtab = u64_at(&b, section(u32_at(&b, sh + 40) as usize) + 24) as usize;
        match kind {
            // SHT_DYNAMIC: (tag, value) pairs; DT_NEEDED is 1, DT_NULL 0 ends them.
            6 => {
                for entry in (offset..offset + size).step_by(16) {
                    match u64_at(&b, entry) {
                        0 => break,
                        1 => needed.push(c_str(&b, strtab + u64_at(&b, entry + 8) as usize)),
                        _ => {}
                    }
                }
            }
            // SHT_GNU_verneed: Verneed records, each with Vernaux records naming versions.
            0x6fff_fffe => {
                let mut vn = offset;
                loop {
                    let count = u16_at(&b, vn + 2) as usize;
                    let mut aux = vn + u32_at(&b, vn + 8) as usize;
                    for _ in 0..count {
                        versions.push(c_str(&b, strtab + u32_at(&b, aux + 8) as usize));
                        aux += u32_at(&b, aux + 12) as usize;
                    }
                    match u32_at(&b, vn + 12) {
                        0 => break,
                        next => vn += next as usize,
                    }
                }
            }
            _ => {}
        }
    }
    Elf {
        machine,
        interpreter,
        needed,
        versions,
    }
}

/// `GLIBC_2.17` as (2, 17); None for other version names.
pub fn glibc_version(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("GLIBC_")?;
    let mut parts = rest.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
}
