using System.Globalization;
using System.Text.RegularExpressions;
using AiContainers.Core.Diagnostics;
using AiContainers.Core.Spec;

namespace AiContainers.Core.Weights;

/// <summary>
/// Bounds on what a model download may write, from the project: AiModelMaxDownloadSize caps a source
/// whose size nothing announces (never more than the cache's free space, checked when it starts), and
/// AiModelStallTimeout ends an attempt that receives no byte for that long.
/// </summary>
public sealed partial record DownloadLimits(long MaxDownloadSize, TimeSpan StallTimeout)
{
    public const string MaxDownloadSizeProperty = "AiModelMaxDownloadSize";
    public const string StallTimeoutProperty = "AiModelStallTimeout";

    public static readonly DownloadLimits Default = new(64L << 30, TimeSpan.FromSeconds(60));

    [GeneratedRegex(@"^\s*(\d+)\s*(|B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", RegexOptions.IgnoreCase)] private static partial Regex SizeRegex();

    public static DownloadLimits Map(ProjectInputs input, DiagnosticBag bag)
    {
        var limits = Default;
        if (input.Get(MaxDownloadSizeProperty) is { } sizeText)
        {
            if (ParseSize(sizeText) is { } size and > 0) limits = limits with { MaxDownloadSize = size };
            else bag.Report(AiErrors.InvalidMaxDownloadSize, MaxDownloadSizeProperty, sizeText);
        }
        if (input.Get(StallTimeoutProperty) is { } stallText)
        {
            if (ParseDuration(stallText) is { } stall && stall > TimeSpan.Zero) limits = limits with { StallTimeout = stall };
            else bag.Report(AiErrors.InvalidStallTimeout, StallTimeoutProperty, stallText);
        }
        return limits;
    }

    /// <summary>Bytes with an optional decimal (KB = 1000) or binary (KiB = 1024) suffix; null when it is not one.</summary>
    public static long? ParseSize(string text)
    {
        var match = SizeRegex().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)) return null;
        var unit = match.Groups[2].Value.ToUpperInvariant() switch
        {
            "" or "B" => 1L,
            "KB" => 1000L, "MB" => 1000_000L, "GB" => 1000_000_000L, "TB" => 1000_000_000_000L,
            "KIB" => 1L << 10, "MIB" => 1L << 20, "GIB" => 1L << 30, _ => 1L << 40,
        };
        try { return checked(number * unit); }
        catch (OverflowException) { return null; }
    }

    /// <summary>Seconds (e.g. 60 or 2.5) or a time span (00:05:00).</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds < TimeSpan.MaxValue.TotalSeconds)
            return TimeSpan.FromSeconds(seconds);
        return text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span : null;
    }
}
