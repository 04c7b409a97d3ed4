using System.Runtime.InteropServices;
using System.Text;
using PromptCache.Cuda.Interop;

namespace PromptCache.Cuda.Kernels;

/// <summary>Compiles a CUDA C unit with NVRTC; the compiler log goes into the exception on failure.</summary>
internal static unsafe class NvrtcCompiler
{
    /// <summary>"nvrtc 13.0", part of every cache key.</summary>
    public static string Version()
    {
        try
        {
            CudaCheck.Rtc(Nvrtc.nvrtcVersion(out int major, out int minor));
            return $"nvrtc {major}.{minor}";
        }
        catch (DllNotFoundException e)
        {
            throw new CudaUnavailableException(CudaLibraryResolver.DescribeMissing(CudaLibraryNames.Nvrtc, "NVRTC (libnvrtc)"), e);
        }
    }

    /// <summary>Compiles <paramref name="source"/>; returns a cubin, or PTX when <see cref="NvrtcOptions.EmitPtx"/>.</summary>
    /// <exception cref="CudaException">Compilation failed; the message carries the log.</exception>
    public static byte[] Compile(string source, string name, NvrtcOptions options)
    {
        CudaCheck.Rtc(Nvrtc.nvrtcCreateProgram(out IntPtr program, source, name, 0, IntPtr.Zero, IntPtr.Zero));
        try
        {
            var args = options.Arguments();
            var utf8 = args.Select(a => Encoding.UTF8.GetBytes(a + "\0")).ToArray();
            var handles = utf8.Select(b => GCHandle.Alloc(b, GCHandleType.Pinned)).ToArray();
            int result;
            try
            {
                byte** pointers = stackalloc byte*[utf8.Length];
                for (int i = 0; i < utf8.Length; i++) pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
                result = Nvrtc.nvrtcCompileProgram(program, utf8.Length, pointers);
            }
            finally
            {
                foreach (var h in handles) h.Free();
            }
            if (result != 0)
                CudaCheck.Rtc(result, $"compiling {name} with [{string.Join(' ', args)}]:\n{Log(program)}", "nvrtcCompileProgram");

            if (options.EmitPtx)
            {
                CudaCheck.Rtc(Nvrtc.nvrtcGetPTXSize(program, out nuint size));
                var ptx = new byte[(int)size];
                fixed (byte* p = ptx) CudaCheck.Rtc(Nvrtc.nvrtcGetPTX(program, p));
                return ptx;
            }
            CudaCheck.Rtc(Nvrtc.nvrtcGetCUBINSize(program, out nuint cubinSize));
            var cubin = new byte[(int)cubinSize];
            fixed (byte* p = cubin) CudaCheck.Rtc(Nvrtc.nvrtcGetCUBIN(program, p));
            return cubin;
        }
        finally
        {
            Nvrtc.nvrtcDestroyProgram(ref program);
        }
    }

    private static string Log(IntPtr program)
    {
        if (Nvrtc.nvrtcGetProgramLogSize(program, out nuint size) != 0 || size <= 1) return "(no log)";
        var log = new byte[(int)size];
        fixed (byte* p = log)
        {
            if (Nvrtc.nvrtcGetProgramLog(program, p) != 0) return "(log unavailable)";
        }
        return Encoding.UTF8.GetString(log).TrimEnd('\0');
    }
}
