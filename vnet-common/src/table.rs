//! virsh's table layout (vshTable): every cell preceded by a space, columns padded to their
//! widest cell plus two, a dashed rule as wide as the table, and a blank line after the rows.

use crate::verb::TextStyle;

/// Renders `headers` and `rows` exactly as virsh prints its tables; without headers (`-q`) the
/// header line, the rule and the closing blank line are left out and the columns are as wide as
/// their cells alone, as `virsh -q` does.
pub fn render(headers: &[&str], rows: &[Vec<String>], style: TextStyle) -> String {
    let mut widths: Vec<usize> = headers
        .iter()
        .map(|h| if style.headers { h.chars().count() } else { 0 })
        .collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    if style.headers {
        let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        out.push_str(&line(&header, &widths));
        out.push_str(&"-".repeat(widths.iter().map(|w| w + 3).sum()));
        out.push('\n');
    }
    for row in rows {
        out.push_str(&line(row, &widths));
    }
    if style.headers {
        out.push('\n');
    }
    out
}

/// A listing's -o text: the names document its --name built (printed as it is), or else the
/// table of one row per item.
pub fn names_or_table<T>(
    names: Option<&str>,
    headers: &[&str],
    items: &[T],
    row: impl Fn(&T) -> Vec<String>,
    style: TextStyle,
) -> String {
    if let Some(names) = names {
        return names.to_string();
    }
    let rows: Vec<Vec<String>> = items.iter().map(row).collect();
    render(headers, &rows, style)
}

/// virsh's label-and-value layout (pool-info, vol-info, dominfo, snapshot-info): each label
/// padded to 15 columns, then its value, and a blank line after the last.
pub fn fields(lines: &[(&str, String)]) -> String {
    let mut text: String = lines
        .iter()
        .map(|(label, value)| format!("{label:<15} {value}\n"))
        .collect();
    text.push('\n');
    text
}

fn line(cells: &[String], widths: &[usize]) -> String {
    let mut out = String::new();
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        out.push(' ');
        out.push_str(cell);
        if i + 1 < cells.len() {
            out.push_str(&" ".repeat(width - cell.chars().count() + 2));
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_virsh_net_list() {
        let rows = vec![vec![
            "default".into(),
            "inactive".into(),
            "no".into(),
            "yes".into(),
        ]];
        assert_eq!(
            render(
                &["Name", "State", "Autostart", "Persistent"],
                &rows,
                TextStyle::default()
            ),
            " Name      State      Autostart   Persistent\n\
             ----------------------------------------------\n \
             default   inactive   no          yes\n\n"
        );
        assert_eq!(
            render(
                &["Name", "State", "Autostart", "Persistent"],
                &[],
                TextStyle::default()
            ),
            " Name   State   Autostart   Persistent\n----------------------------------------\n\n"
        );
        let quiet = TextStyle { headers: false };
        assert_eq!(
            render(&["Name", "State", "Autostart", "Persistent"], &rows, quiet),
            " default   inactive   no   yes\n"
        );
        assert_eq!(
            render(&["Name", "State", "Autostart", "Persistent"], &[], quiet),
            ""
        );
    }

    /// A names document wins over the table; without one the items are rows.
    #[test]
    fn names_or_table_prefers_the_names_document() {
        let items = ["a", "b"];
        let row = |s: &&str| vec![s.to_string()];
        let style = TextStyle::default();
        assert_eq!(
            names_or_table(Some("a\nb\n\n"), &["Name"], &items, row, style),
            "a\nb\n\n"
        );
        let rows = vec![vec!["a".to_string()], vec!["b".to_string()]];
        assert_eq!(
            names_or_table(None, &["Name"], &items, row, style),
            render(&["Name"], &rows, style)
        );
    }

    #[test]
    fn fields_pad_labels_to_fifteen() {
        let lines = [("Name:", "p".to_string()), ("Autostart:", "no".to_string())];
        assert_eq!(fields(&lines), "Name:           p\nAutostart:      no\n\n");
    }
}
