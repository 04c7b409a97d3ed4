using Microsoft.Extensions.Options;
using PromptCache.Cuda.Backend;
using PromptCache.Tokenizers.Chat;

namespace PromptCache.Hosting;

/// <summary>
/// Checks <see cref="PromptCacheOptions"/> when the host starts (ValidateOnStart), so a wrong model
/// path or budget stops start-up with every problem listed, each naming the setting and the value.
/// </summary>
public sealed class PromptCacheOptionsValidator : IValidateOptions<PromptCacheOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PromptCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();

        if (options.Model is { } model)
        {
            if (string.IsNullOrWhiteSpace(model))
                problems.Add("PromptCache Model is empty: give a Hugging Face folder or a .gguf file, or leave it null for the embedded synthetic model.");
            else if (!File.Exists(model) && !Directory.Exists(model))
                problems.Add($"PromptCache Model '{model}' does not exist (full path '{Path.GetFullPath(model)}'): give a Hugging Face folder or a .gguf file, or leave it null for the embedded synthetic model.");
        }
        else if (options.SyntheticShape is null)
        {
            problems.Add("PromptCache SyntheticShape is null while Model is null: one of them must say which model to load.");
        }

        if (!Enum.IsDefined(options.Backend))
            problems.Add($"PromptCache Backend {(int)options.Backend} is not a ComputeBackend (Auto, Cpu, Cuda).");

        if (options.MemoryBudgetBytes <= 0)
            problems.Add($"PromptCache MemoryBudgetBytes must be positive (got {options.MemoryBudgetBytes}).");
        if (options.DiskBudgetBytes <= 0)
            problems.Add($"PromptCache DiskBudgetBytes must be positive (got {options.DiskBudgetBytes}).");
        if (options.DeviceBudgetBytes < 0)
            problems.Add($"PromptCache DeviceBudgetBytes must be 0 (no budget) or positive (got {options.DeviceBudgetBytes}).");
        if (!string.IsNullOrWhiteSpace(options.DiskCache) && File.Exists(options.DiskCache))
            problems.Add($"PromptCache DiskCache '{options.DiskCache}' is a file; it must be a directory (created when missing).");
        if (options.MaxConcurrentForwards < 1)
            problems.Add($"PromptCache MaxConcurrentForwards must be at least 1 (got {options.MaxConcurrentForwards}).");
        if (options.RehearsalRequests < 0)
            problems.Add($"PromptCache RehearsalRequests must be 0 or more (got {options.RehearsalRequests}).");
        if (options.ReusedSessionSegments < 0)
            problems.Add($"PromptCache ReusedSessionSegments must be 0 (a new segment per request) or more (got {options.ReusedSessionSegments}).");
        if (!Enum.IsDefined(options.KvDataType))
            problems.Add($"PromptCache KvDataType {(int)options.KvDataType} is not a KvDataType.");

        if (options.CudaSettings is { Count: > 0 } cudaSettings)
        {
            try
            {
                CudaBackendSettings.Parse(cudaSettings);
            }
            catch (ArgumentException e)
            {
                problems.Add("PromptCache CudaSettings: " + e.Message);
            }
        }

        if (!string.IsNullOrWhiteSpace(options.ChatFormat))
        {
            try
            {
                ChatMarkers.ForFamily(options.ChatFormat);
            }
            catch (ArgumentException e)
            {
                problems.Add("PromptCache ChatFormat: " + e.Message);
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
