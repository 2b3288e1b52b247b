/* A stand-in for Windows' bcryptprimitives.dll, for the Wine tests only (MPL-2.0).
 *
 * Rust's standard library on Windows takes its randomness from ProcessPrng in
 * bcryptprimitives.dll, which every Windows since 10 ships but Wine 8 (Debian 12) does not:
 * without it the loader refuses the program before main. This DLL exports ProcessPrng and
 * forwards to BCryptGenRandom with the system generator, which Wine has. It is built with
 * `zig cc` by scripts/platform-test.sh into the test's Wine prefix, never shipped. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
