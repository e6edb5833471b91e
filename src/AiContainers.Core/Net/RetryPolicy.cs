using Polly;
using Polly.Retry;

namespace AiContainers.Core.Net;

/// <summary>What a failed attempt means for the next one.</summary>
public enum RetryVerdict
{
    /// <summary>Not retryable (401, 403, 404, a coded refusal): rethrow at once.</summary>
    Fail,
    /// <summary>Worth another attempt (5xx, 429, 408, a reset, a stall, a short body).</summary>
    Retry,
    /// <summary>Worth another attempt, and the attempt moved bytes forward: the count of consecutive failures starts again.</summary>
    RetryAfterProgress,
}

/// <summary>Thrown by an attempt to ask for a retry, carrying what the server said about waiting.</summary>
public sealed class RetryableException : Exception
{
    public RetryableException(string reason, TimeSpan? retryAfter = null, bool madeProgress = false, Exception? inner = null)
        : base(reason, inner)
    {
        RetryAfter = retryAfter;
        MadeProgress = madeProgress;
    }

    /// <summary>Retry-After from the server, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; }
    public bool MadeProgress { get; }
}

/// <summary>Raised when the attempts or the time budget are spent; <see cref="Exception.InnerException"/> is the last failure.</summary>
public sealed class RetryBudgetExhaustedException : Exception
{
    public RetryBudgetExhaustedException(int attempts, TimeSpan elapsed, string reason, Exception inner)
        : base(reason, inner)
    {
        Attempts = attempts;
        Elapsed = elapsed;
    }

    public int Attempts { get; }
    public TimeSpan Elapsed { get; }
}

/// <summary>
/// The one retry policy of the package (downloads, pushes, the registry client): exponential backoff
/// with jitter (Polly.Core), Retry-After honoured up to <see cref="MaxRetryAfter"/>, at most
/// <see cref="MaxConsecutiveFailures"/> failures in a row (an attempt that moved bytes forward resets the
/// count) and never more than <see cref="TotalBudget"/> in all, so a server that always sends a short body
/// cannot make a publish loop forever. The caller's cancellation always wins and is never retried.
/// </summary>
public sealed record RetryPolicy(int MaxConsecutiveFailures, TimeSpan FirstDelay, TimeSpan MaxDelay, TimeSpan TotalBudget)
{
    public static readonly RetryPolicy Default = new(6, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(15));

    /// <summary>For tests and fault injection: the same rules with delays short enough to run in milliseconds.</summary>
    public static RetryPolicy Fast(int maxConsecutiveFailures = 4, TimeSpan? totalBudget = null)
        => new(maxConsecutiveFailures, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100), totalBudget ?? TimeSpan.FromSeconds(30));

    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Runs <paramref name="attempt"/> (given its 1-based number) until it succeeds, <paramref name="classify"/>
    /// says <see cref="RetryVerdict.Fail"/>, or the budget is spent (<see cref="RetryBudgetExhaustedException"/>).
    /// <see cref="RetryableException"/> is always retryable, with its progress and Retry-After.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Func<int, CancellationToken, Task<T>> attempt, Func<Exception, RetryVerdict> classify, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var attempts = 0;
        var consecutive = 0;
        Exception? last = null;
        var pipeline = new ResiliencePipelineBuilder<T>()
            .AddRetry(new RetryStrategyOptions<T>
            {
                MaxRetryAttempts = int.MaxValue, // the budget below decides, so progress can reset it
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = FirstDelay,
                MaxDelay = MaxDelay,
                ShouldHandle = args =>
                {
                    if (args.Outcome.Exception is not { } e || e is OperationCanceledException && cancellationToken.IsCancellationRequested)
                        return ValueTask.FromResult(false);
                    var verdict = Verdict(e, classify);
                    if (verdict == RetryVerdict.Fail) return ValueTask.FromResult(false);
                    consecutive = verdict == RetryVerdict.RetryAfterProgress ? 1 : consecutive + 1;
                    last = e;
                    return ValueTask.FromResult(consecutive < MaxConsecutiveFailures && DateTime.UtcNow - started < TotalBudget);
                },
                DelayGenerator = args =>
                {
                    if (args.Outcome.Exception is RetryableException { RetryAfter: { } wait })
                        return ValueTask.FromResult<TimeSpan?>(wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxRetryAfter ? MaxRetryAfter : wait);
                    if (args.Outcome.Exception is RetryableException { MadeProgress: true })
                        return ValueTask.FromResult<TimeSpan?>(TimeSpan.Zero);
                    return ValueTask.FromResult<TimeSpan?>(null);
                },
            })
            .Build();
        try
        {
            return await pipeline.ExecuteAsync(async token =>
            {
                attempts++;
                return await attempt(attempts, token).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (ReferenceEquals(e, last) && Verdict(e, classify) != RetryVerdict.Fail)
                throw new RetryBudgetExhaustedException(attempts, DateTime.UtcNow - started, e.Message, e);
            throw;
        }
    }

    public Task ExecuteAsync(Func<int, CancellationToken, Task> attempt, Func<Exception, RetryVerdict> classify, CancellationToken cancellationToken)
        => ExecuteAsync<bool>(async (n, token) => { await attempt(n, token).ConfigureAwait(false); return true; }, classify, cancellationToken);

    private static RetryVerdict Verdict(Exception e, Func<Exception, RetryVerdict> classify)
        => e is RetryableException r ? (r.MadeProgress ? RetryVerdict.RetryAfterProgress : RetryVerdict.Retry) : classify(e);

    /// <summary>Retry-After (seconds or an HTTP date) of a response, when present.</summary>
    public static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } retryAfter) return null;
        var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.Zero);
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    /// <summary>5xx, 429 and 408 are worth retrying; 401, 403, 404 and the other 4xx never are.</summary>
    public static bool IsTransient(System.Net.HttpStatusCode status)
        => (int)status >= 500 || status is System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.RequestTimeout;
}
