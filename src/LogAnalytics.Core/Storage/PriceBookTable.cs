using DuckDB.NET.Data;
using LogAnalytics.Kpis.Pricing;

namespace LogAnalytics.Storage;

/// <summary>Writes the price book into the tables <c>prices</c>, <c>model_aliases</c> and <c>endpoint_markups</c>
/// (sql/migrations/0003) so analysts' SQL (view <c>requests_costed</c>) prices requests as the verdict engine does.</summary>
public static class PriceBookTable
{
    /// <summary>Replaces the tables' rows with <paramref name="book"/>, in one transaction.</summary>
    public static void Sync(DuckDBConnection connection, PriceBook book)
    {
        using var tx = connection.BeginTransaction();
        Execute(connection, "DELETE FROM prices; DELETE FROM model_aliases; DELETE FROM endpoint_markups;");
        var now = DateTimeOffset.UtcNow;
        foreach (var p in book.Prices)
        {
            Execute(connection, "INSERT INTO prices VALUES ($endpoint, $model, $input, $output, $currency, $rate, $markup, $book, $now)",
                ("endpoint", p.Endpoint), ("model", p.Model), ("input", p.InputUsdPerMillion), ("output", p.OutputUsdPerMillion),
                ("currency", p.Currency), ("rate", p.ExchangeRate), ("markup", p.Markup), ("book", book.Source), ("now", now));
        }
        foreach (var (alias, model) in book.Aliases)
        {
            Execute(connection, "INSERT INTO model_aliases VALUES ($alias, $model)", ("alias", alias), ("model", model));
        }
        foreach (var (endpoint, markup) in book.EndpointMarkup)
        {
            Execute(connection, "INSERT INTO endpoint_markups VALUES ($endpoint, $markup)", ("endpoint", endpoint), ("markup", markup));
        }
        tx.Commit();
    }

    private static void Execute(DuckDBConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.Add(new DuckDBParameter(name, value));
        }
        cmd.ExecuteNonQuery();
    }
}
