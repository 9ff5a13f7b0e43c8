using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;
using Medallion.Platform;

namespace Medallion.Server.Web;

/// <summary>
/// A table page's docs as a steward edits them: who edited a field and when, with the project files' value it overrides
/// and a way back to it; the forms that edit the table's and each column's docs (for operators only, who alone may edit,
/// as the API's operator policy decides); and the history of edits.
/// </summary>
internal static class DocsPanel
{
    /// <summary>"Edited by X on D", the project files' value, and (for operators) a button that goes back to it; nothing for a field no edit overrides.</summary>
    public static Markup Edited(PageContext page, TableDocs docs, string? column, DocField field)
    {
        if (docs.InForce.FirstOrDefault(c => c.Edit.Field == field && string.Equals(c.Edit.Column, column, StringComparison.OrdinalIgnoreCase)) is not { } change)
        {
            return Markup.Empty;
        }

        string body = "{\"" + FieldName(field) + "\":null}";
        return HtmlBuilder.Of($"""
            <span class="edited small muted" data-field="{FieldName(field)}">{page.T("edited by {0} on", change.Edit.EditedBy)} {page.Time(change.Edit.EditedAt)} · {page.T("project files")}: <q>{change.Declared ?? "–"}</q> {page.Action(DocsApi(docs.Table, column), "Revert", method: "PUT", body: body)}</span>
            """);
    }

    /// <summary>The form that edits a table's description, owner and tags; nothing for a viewer.</summary>
    public static Markup TableForm(PageContext page, TableSummary table) => !page.IsOperator ? Markup.Empty : HtmlBuilder.Of($"""
        <details class="docs-edit"><summary>{page.T("Edit docs")}</summary>
        <form class="docs-form panel" data-api="{DocsApi(table.Name, null)}" data-unchanged="{page.T("Nothing changed.")}">
        <label>{page.T("Description")} <textarea name="description" rows="3">{table.Description}</textarea></label>
        <label>{page.T("Owner")} <input name="owner" value="{table.Owner}"></label>
        <label>{page.T("Tags")} <input name="tags" value="{string.Join(", ", table.Tags)}" placeholder="{page.T("separated by commas")}"></label>
        <p class="muted small">{page.T("Edits are kept in the catalog over the project files; empty a field to go back to the files' value.")}</p>
        <button type="submit">{page.T("Save")}</button>
        </form></details>
        """);

    /// <summary>The form that edits a column's description and tags; nothing for a viewer.</summary>
    public static Markup ColumnForm(PageContext page, TableName table, ColumnInfo column) => !page.IsOperator ? Markup.Empty : HtmlBuilder.Of($"""
        <details class="docs-edit"><summary>{page.T("edit")}</summary>
        <form class="docs-form" data-api="{DocsApi(table, column.Name)}" data-unchanged="{page.T("Nothing changed.")}">
        <label>{page.T("Description")} <textarea name="description" rows="2">{column.Description}</textarea></label>
        <label>{page.T("Tags")} <input name="tags" value="{string.Join(", ", column.Tags)}"></label>
        <button type="submit">{page.T("Save")}</button>
        </form></details>
        """);

    /// <summary>The edits of the table's and its columns' docs, newest first; nothing when there has been none.</summary>
    public static Markup History(PageContext page, TableDocs docs, IReadOnlyList<ColumnInfo> columns)
    {
        if (docs.History.Count == 0)
        {
            return Markup.Empty;
        }

        var html = new HtmlBuilder();
        html.Add($"<section aria-labelledby=\"doc-history\"><h2 id=\"doc-history\">{page.T("Docs history")}</h2><ol class=\"plain doc-history\">");
        foreach (DocEdit edit in docs.History)
        {
            // The catalog keys columns lower-cased; the page names them as the table spells them.
            string? column = edit.Column is null ? null : columns.FirstOrDefault(c => string.Equals(c.Name, edit.Column, StringComparison.OrdinalIgnoreCase))?.Name ?? edit.Column;
            html.Add($"""
                <li>{page.Time(edit.EditedAt)} · <strong>{edit.EditedBy}</strong> · {(column is null ? Markup.Empty : HtmlBuilder.Of($"<code>{column}</code> "))}{page.T(FieldName(edit.Field))}: {(edit.Value is null ? HtmlBuilder.Of($"<em>{page.T("back to the project files")}</em>") : HtmlBuilder.Of($"<q>{edit.Value}</q>"))}</li>
                """);
        }

        html.Add(new Markup("</ol></section>"));
        return html.ToMarkup();
    }

    private static string DocsApi(TableName table, string? column) =>
        "/api/tables/" + Uri.EscapeDataString(table.ToString()) + (column is null ? string.Empty : "/columns/" + Uri.EscapeDataString(column)) + "/docs";

    /// <summary>The field as the REST API's body names it (and the page's texts, translated).</summary>
    private static string FieldName(DocField field) => field.ToString().ToLowerInvariant();
}
