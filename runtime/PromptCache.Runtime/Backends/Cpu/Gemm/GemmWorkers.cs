using System.Diagnostics;

namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// A small persistent pool that runs the tasks of one GEMM call on the calling thread plus
/// ProcessorCount − 1 workers. Decoding a token makes ~150 GEMV calls of well under a millisecond
/// each, so dispatch cost matters: workers spin briefly after a call (the next one usually follows
/// within microseconds) before they sleep. One call uses the workers at a time; a concurrent caller
/// falls back to <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>, so callers never wait on each other.
/// </summary>
internal static class GemmWorkers
{
    /// <summary>How long an idle worker keeps polling for the next call before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 µs

    private static readonly object s_gate = new();
    private static Worker[]? s_workers;
    private static Job? s_current;

    /// <summary>Runs <paramref name="body"/>(0 .. tasks−1) across all cores; tasks are taken dynamically.</summary>
    public static void For(int tasks, Action<int> body)
    {
        int threads = Environment.ProcessorCount;
        if (tasks <= 1 || threads <= 1)
        {
            for (int i = 0; i < tasks; i++)
            {
                body(i);
            }

            return;
        }

        if (!Monitor.TryEnter(s_gate))
        {
            Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
            return;
        }

        try
        {
            Worker[] workers = s_workers ??= Start(threads - 1);
            var job = new Job(body, tasks);
            Volatile.Write(ref s_current, job);
            foreach (Worker w in workers)
            {
                w.WakeIfSleeping();
            }

            job.Work();
            var spin = new SpinWait();
            while (Volatile.Read(ref job.Remaining) > 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            if (job.Error is { } error)
            {
                throw new AggregateException("A GEMM task failed.", error);
            }
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    private static Worker[] Start(int count)
    {
        var workers = new Worker[count];
        for (int i = 0; i < count; i++)
        {
            workers[i] = new Worker();
            var thread = new Thread(workers[i].Loop) { IsBackground = true, Name = $"PromptCache GEMM worker {i + 1}" };
            thread.Start();
        }

        return workers;
    }

    // One call's tasks. A fresh object per call, so a worker that is late for one call can never
    // take an index of the next one.
    private sealed class Job
    {
        private readonly Action<int> _body;
        private readonly int _tasks;
        public int Next;
        public int Remaining;
        public Exception? Error;

        public Job(Action<int> body, int tasks)
        {
            _body = body;
            _tasks = tasks;
            Remaining = tasks;
        }

        public void Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref Next) - 1) < _tasks)
            {
                try
                {
                    _body(i);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref Error, e, null);
                }

                Interlocked.Decrement(ref Remaining);
            }
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        // Exactly one Release per sleep the caller claims, so the semaphore never over-counts.
        public void WakeIfSleeping()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1)
            {
                _wake.Release();
            }
        }

        public void Loop()
        {
            Job? last = null;
            while (true)
            {
                Job? job = Volatile.Read(ref s_current);
                if (job != last)
                {
                    last = job;
                    job!.Work();
                    continue;
                }

                if (Spin(last))
                {
                    continue;
                }

                Volatile.Write(ref _sleeping, 1);
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref s_current) != last && Interlocked.Exchange(ref _sleeping, 0) == 1)
                {
                    continue; // a call arrived while we were going to sleep; we cancelled our own sleep
                }

                _wake.Wait();
            }
        }

        // Polls for a new call for a short while; true when one arrived.
        private static bool Spin(Job? last)
        {
            long end = Stopwatch.GetTimestamp() + SpinTicks;
            while (Stopwatch.GetTimestamp() < end)
            {
                if (Volatile.Read(ref s_current) != last)
                {
                    return true;
                }

                Thread.SpinWait(20);
            }

            return false;
        }
    }
}
