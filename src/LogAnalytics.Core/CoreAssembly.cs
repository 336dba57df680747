namespace LogAnalytics;
/// <summary>Marker for the LogAnalytics core assembly.</summary>
public static class CoreAssembly { }
