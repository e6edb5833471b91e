using AiContainers.Core.Weights;

namespace AiContainers.Core.Lock;

/// <summary>One difference between the lock and what a build resolves now: what it is, what the lock says, what is there now.</summary>
public sealed record LockDriftItem(string What, string Locked, string Now)
{
    public override string ToString() => $"{What}: the lock has {Locked}, now {Now}";
}

/// <summary>
/// Compares a lock with the project and with what the registries and the Hub say now. Pure: the callers resolve,
/// this only says what moved, so the same rules serve Auto (warn), Locked (fail) and the tests.
/// </summary>
public static class LockDrift
{
    /// <summary>The lock's view of one AiModel item: what the project asks for, without what it resolved to.</summary>
    public static LockedModel Request(ModelSpec model) => new(
        model.Name, SourceText(model.Source), model.Source.Kind == ModelSourceKind.HuggingFace ? model.Source.RevisionOrDefault : null,
        model.Files, model.Exclude, model.Sha256, null, null, "", Array.Empty<LockedFile>(), null);

    /// <summary>hf://org/repo (the revision is its own field), the URL without its query (tokens live there), the local path as written.</summary>
    public static string SourceText(ModelSource source) => source.Kind switch
    {
        ModelSourceKind.HuggingFace => "hf://" + source.Repository,
        ModelSourceKind.Https => ModelSpecMapper.RedactedUrl(source.Url!),
        _ => source.Text,
    };

    /// <summary>Whether a lock entry was written for this very declaration (same source, revision, patterns and Sha256), so its pins apply.</summary>
    public static bool SameRequest(ModelSpec model, LockedModel locked)
    {
        var request = Request(model);
        return request.Name == locked.Name && request.Source == locked.Source && request.Revision == locked.Revision
            && request.Sha256 == locked.Sha256
            && request.Include.SequenceEqual(locked.Include, StringComparer.Ordinal)
            && request.Exclude.SequenceEqual(locked.Exclude, StringComparer.Ordinal);
    }

    /// <summary>Models added to, removed from or changed in the project since the lock was written.</summary>
    public static IReadOnlyList<LockDriftItem> Declarations(LockFile locked, IReadOnlyList<ModelSpec> models)
    {
        var drift = new List<LockDriftItem>();
        foreach (var model in models.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            var entry = locked.Model(model.Name);
            if (entry is null) drift.Add(new($"AiModel '{model.Name}'", "no such model", "declared (" + Describe(Request(model)) + ")"));
            else if (!SameRequest(model, entry)) drift.Add(new($"AiModel '{model.Name}'", Describe(entry), Describe(Request(model))));
        }
        foreach (var entry in locked.Models.Where(e => models.All(m => m.Name != e.Name)).OrderBy(e => e.Name, StringComparer.Ordinal))
            drift.Add(new($"AiModel '{entry.Name}'", Describe(entry), "not declared"));
        return drift;
    }

    /// <summary>A base whose tag moved (or that the lock lacks).</summary>
    public static LockDriftItem? Base(LockFile locked, string reference, string nowDigest)
        => locked.Base(reference) switch
        {
            null => new($"base image {reference}", "no pin for it", nowDigest),
            { } entry when entry.Digest != nowDigest => new($"base image {reference}", entry.Digest, nowDigest),
            _ => null,
        };

    /// <summary>An hf:// branch or tag that now resolves to another commit.</summary>
    public static LockDriftItem? Commit(LockedModel locked, string nowCommit)
        => locked.Commit is { } commit && commit != nowCommit
            ? new($"AiModel '{locked.Name}' revision '{locked.Revision}' of {locked.Source}", "commit " + commit, "commit " + nowCommit)
            : null;

    /// <summary>Files added, removed or changed between the lock's list and what was fetched.</summary>
    public static IReadOnlyList<LockDriftItem> Files(LockedModel locked, IReadOnlyList<LockedFile> now)
    {
        var drift = new List<LockDriftItem>();
        var before = locked.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var after = now.ToDictionary(f => f.Path, StringComparer.Ordinal);
        foreach (var path in before.Keys.Union(after.Keys).OrderBy(p => p, StringComparer.Ordinal))
        {
            var what = $"AiModel '{locked.Name}' file '{path}'";
            if (!after.TryGetValue(path, out var a)) drift.Add(new(what, "sha256 " + before[path].Sha256, "no such file"));
            else if (!before.TryGetValue(path, out var b)) drift.Add(new(what, "no such file", "sha256 " + a.Sha256));
            else if (a.Sha256 != b.Sha256 || a.Size != b.Size) drift.Add(new(what, $"sha256 {b.Sha256} ({b.Size} bytes)", $"sha256 {a.Sha256} ({a.Size} bytes)"));
        }
        return drift;
    }

    /// <summary>Everything that differs between two locks: what a reviewer of the lock's diff would see.</summary>
    public static IReadOnlyList<LockDriftItem> Compare(LockFile locked, LockFile now)
    {
        var drift = new List<LockDriftItem>();
        foreach (var reference in locked.Bases.Select(b => b.Reference).Union(now.Bases.Select(b => b.Reference)).OrderBy(r => r, StringComparer.Ordinal))
        {
            var (a, b) = (locked.Base(reference), now.Base(reference));
            if (a?.Digest != b?.Digest) drift.Add(new($"base image {reference}", a?.Digest ?? "no pin for it", b?.Digest ?? "not used"));
        }
        foreach (var name in locked.Models.Select(m => m.Name).Union(now.Models.Select(m => m.Name)).OrderBy(n => n, StringComparer.Ordinal))
        {
            var (a, b) = (locked.Model(name), now.Model(name));
            if (a is null || b is null) { drift.Add(new($"AiModel '{name}'", a is null ? "no such model" : Describe(a), b is null ? "not declared" : Describe(b))); continue; }
            if (a.Source != b.Source || a.Revision != b.Revision || !a.Include.SequenceEqual(b.Include) || !a.Exclude.SequenceEqual(b.Exclude) || a.Sha256 != b.Sha256)
            {
                drift.Add(new($"AiModel '{name}'", Describe(a), Describe(b)));
                continue;
            }
            if (b.Commit is { } commit && Commit(a, commit) is { } moved) drift.Add(moved);
            drift.AddRange(Files(a, b.Files));
        }
        return drift;
    }

    /// <summary>One line for an error: the items joined, at most a few, with a count of the rest.</summary>
    public static string Describe(IReadOnlyList<LockDriftItem> items)
    {
        const int Shown = 5;
        var text = string.Join("; ", items.Take(Shown));
        return items.Count > Shown ? text + $"; and {items.Count - Shown} more" : text;
    }

    private static string Describe(LockedModel model)
        => model.Source + (model.Revision is { } r ? "@" + r : "")
           + (model.Include.Count > 0 ? " Files=" + string.Join(";", model.Include) : "")
           + (model.Exclude.Count > 0 ? " ExcludeFiles=" + string.Join(";", model.Exclude) : "")
           + (model.Sha256 is { } s ? " Sha256=" + s : "");
}
