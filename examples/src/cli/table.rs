//! Tables like the docker CLI's (`docker node ls` and the other listing commands).

use std::fmt::Write as _;

use swarm_client::models::{Node, Reachability};

/// Renders nodes like `docker node ls`; `self_id` marks the local node with `*`.
#[must_use]
pub fn node_table(nodes: &[Node], self_id: Option<&str>) -> String {
    let mut rows: Vec<[String; 6]> = vec![[
        "ID".into(),
        "HOSTNAME".into(),
        "STATUS".into(),
        "AVAILABILITY".into(),
        "MANAGER STATUS".into(),
        "ENGINE VERSION".into(),
    ]];
    let mut sorted: Vec<&Node> = nodes.iter().collect();
    sorted.sort_by(|a, b| {
        a.description
            .hostname
            .cmp(&b.description.hostname)
            .then(a.id.cmp(&b.id))
    });
    for n in sorted {
        let star = if Some(n.id.as_str()) == self_id {
            " *"
        } else {
            ""
        };
        let manager = match &n.manager_status {
            Some(m) if m.leader => "Leader".to_owned(),
            Some(m) => match &m.reachability {
                Some(Reachability::Reachable) => "Reachable".to_owned(),
                Some(Reachability::Unreachable) => "Unreachable".to_owned(),
                Some(r) => capitalise(r.as_str()),
                None => String::new(),
            },
            None => String::new(),
        };
        rows.push([
            format!("{}{star}", n.id),
            n.description.hostname.clone(),
            capitalise(n.status.state.as_ref().map_or("", |s| s.as_str())),
            capitalise(n.spec.availability.as_ref().map_or("", |s| s.as_str())),
            manager,
            n.description.engine.engine_version.clone(),
        ]);
    }
    render_table(&rows)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// Renders rows as a docker-style table (columns separated by at least 3 spaces).
#[must_use]
pub fn render_table<R: AsRef<[String]>>(rows: &[R]) -> String {
    let cols = rows.iter().map(|r| r.as_ref().len()).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.as_ref().iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        let r = r.as_ref();
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                let _ = write!(line, "{c:<w$}   ", w = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_like_docker() {
        let nodes: Vec<Node> = serde_json::from_str(
            r#"[{"ID":"abc","Spec":{"Availability":"active","Role":"manager"},"Description":{"Hostname":"vm","Engine":{"EngineVersion":"20.10.24"}},"Status":{"State":"ready"},"ManagerStatus":{"Leader":true}},
                {"ID":"def","Spec":{"Availability":"drain","Role":"worker"},"Description":{"Hostname":"vm2","Engine":{"EngineVersion":"20.10.24"}},"Status":{"State":"down"}}]"#,
        )
        .unwrap();
        let t = node_table(&nodes, Some("abc"));
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("ID "), "{t}");
        assert!(lines[1].starts_with("abc *"), "{t}");
        assert!(lines[1].contains("Leader"), "{t}");
        assert!(
            lines[2].contains("Drain") && lines[2].contains("Down"),
            "{t}"
        );
    }
}
