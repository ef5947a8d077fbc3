using System.ComponentModel.DataAnnotations;

namespace Parley.Server.Cluster;

internal sealed class ClusterOptions
{
    public const string Section = "Parley:Node";

    // SPEC §11.5: "api" serves HTTP and WebSocket clients, "worker" generates replies; a node is both by default.
    [Required]
    [RegularExpression(@"^\s*(api|worker)\s*(,\s*(api|worker)\s*)?$", ErrorMessage = "Parley:Node:Roles must be 'api', 'worker' or 'api,worker'.")]
    public string Roles { get; set; } = "api,worker";

    // How soon a dead LISTEN connection is noticed, and how long to wait before connecting again.
    [Range(1, 3_600)]
    public int ListenKeepAliveSeconds { get; set; } = 10;

    [Range(10, 60_000)]
    public int ListenReconnectDelayMs { get; set; } = 250;

    public bool IsApi => HasRole("api");

    public bool IsWorker => HasRole("worker");

    private bool HasRole(string role) => Roles.Split(',').Any(r => r.Trim().Equals(role, StringComparison.OrdinalIgnoreCase));
}
