//! The `--mesh` flag (`data=4`, `data=2,model=2`, `model=4`): parsing it into a [`Mesh`] of
//! the axes the strategies know, and checking it against the devices a client has.

use super::error::ParallelError;
use crate::ir::Mesh;

/// The data-parallel axis: the token batch is split over it.
pub const DATA: &str = "data";

/// The tensor-parallel axis: weight matrices are split over it.
pub const MODEL: &str = "model";

/// The axis names a mesh may use, in the order they are listed in messages.
pub const AXES: [&str; 2] = [DATA, MODEL];

/// Parses `name=size[,name=size]` (spaces allowed around the parts).
pub fn parse_mesh(text: &str) -> Result<Mesh, ParallelError> {
    let malformed = |why: &str| ParallelError::MalformedMesh {
        text: text.to_string(),
        why: why.to_string(),
    };
    let mut axes = Vec::new();
    for part in text.split(',') {
        let (name, size) = part
            .split_once('=')
            .ok_or_else(|| malformed(&format!("`{}` is not `axis=size`", part.trim())))?;
        let (name, size) = (name.trim(), size.trim());
        if !AXES.contains(&name) {
            return Err(ParallelError::UnknownAxis {
                name: name.to_string(),
            });
        }
        let size: usize = size.parse().map_err(|_| {
            malformed(&format!(
                "size `{size}` of axis `{name}` is not a whole number"
            ))
        })?;
        axes.push((name, size));
    }
    Mesh::new(axes).map_err(|e| malformed(&e.to_string()))
}

/// Checks that the client's `available` devices can hold `mesh`.
pub fn check_devices(mesh: &Mesh, available: usize) -> Result<(), ParallelError> {
    let needs = mesh.device_count();
    if needs > available {
        return Err(ParallelError::TooFewDevices {
            mesh: mesh.clone(),
            needs,
            available,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meshes_parse_with_their_axes_in_order() {
        assert_eq!(parse_mesh("data=4").unwrap().to_string(), "data=4");
        let m = parse_mesh("data=2, model=2").unwrap();
        assert_eq!(m.to_string(), "data=2, model=2");
        assert_eq!(m.device_count(), 4);
    }

    #[test]
    fn bad_meshes_say_what_is_wrong() {
        let cases = [
            ("data", "is not `axis=size`"),
            ("data=x", "is not a whole number"),
            ("data=0", "size 0"),
            ("data=2,data=2", "appears twice"),
            ("", "is not `axis=size`"),
        ];
        for (text, want) in cases {
            let err = parse_mesh(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
        let err = parse_mesh("pipe=2").unwrap_err().to_string();
        assert!(
            err.contains("`pipe`") && err.contains("data, model"),
            "{err}"
        );
        let err = check_devices(&parse_mesh("data=8").unwrap(), 4)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("needs 8 devices") && err.contains("has 4"),
            "{err}"
        );
    }
}
