using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Gateway.Configuration;

/// <summary>
/// Reads one settings section so that start-up fails on a bad value with a message naming it: binds
/// the section (a value of the wrong type fails there, naming its key), applies code overrides, then
/// the settings' own checks.
/// </summary>
public static class CheckedSettings
{
    /// <exception cref="OptionsValidationException"><paramref name="validate"/> found problems; each names its key.</exception>
    public static TSettings Read<TSettings>(IConfiguration? configuration, string section, Action<TSettings>? configure,
        Func<TSettings, IEnumerable<string>> validate) where TSettings : class, new()
    {
        ArgumentNullException.ThrowIfNull(validate);
        var settings = new TSettings();
        configuration?.GetSection(section).Bind(settings);
        configure?.Invoke(settings);
        var problems = validate(settings).ToList();
        return problems.Count == 0 ? settings : throw new OptionsValidationException(section, typeof(TSettings), problems);
    }
}
