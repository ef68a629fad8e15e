using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace AgentSnapshots.Silo.Ui;

/// <summary>
/// Razor components bring Data Protection (for antiforgery tokens, which the UI does not use: its CSRF defence is
/// the SameSite=Strict cookie and the Origin check, good on every silo). So that nothing writes a key ring to the
/// user's profile, keys, if anything ever asks for one, live in memory only, and none is made at start.
/// </summary>
internal sealed class UnusedKeyRing : IXmlRepository
{
    private readonly List<XElement> _elements = [];

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        lock (_elements) return [.. _elements];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (_elements) _elements.Add(element);
    }
}
