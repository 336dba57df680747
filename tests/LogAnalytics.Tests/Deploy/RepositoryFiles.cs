namespace LogAnalytics.Tests.Deploy;

/// <summary>Files of the repository the tests run from.</summary>
internal static class RepositoryFiles
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "LogAnalytics.sln")))
                {
                    return dir.FullName;
                }
            }
            throw new DirectoryNotFoundException("no LogAnalytics.sln above " + AppContext.BaseDirectory);
        }
    }

    public static string Read(string relative) => File.ReadAllText(Path.Combine(Root, relative));
}
