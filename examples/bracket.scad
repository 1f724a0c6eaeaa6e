// Wall bracket: an L of two plates with a gusset, screw holes in the wall plate
// and a hole in the shelf plate. Every parameter can be set with -D name=value.
width = 16;        // along the wall, mm
depth = 16;        // how far the shelf plate sticks out, mm
height = 16;       // wall plate height, mm
thickness = 2.4;   // plate thickness, mm
hole_d = 3.5;      // screw hole diameter (M3 clearance), mm
gusset = true;     // triangular brace between the plates

$fn = 32;

module plate_hole(x, y) {
    translate([x, y, -1]) cylinder(d = hole_d, h = thickness + 2);
}

module wall_plate() {
    difference() {
        cube([width, thickness, height]);
        translate([width / 2, thickness + 1, height * 0.65])
            rotate([90, 0, 0]) cylinder(d = hole_d, h = thickness + 2);
    }
}

module shelf_plate() {
    difference() {
        cube([width, depth, thickness]);
        plate_hole(width / 2, depth * 0.65);
    }
}

module brace() {
    translate([(width - thickness) / 2, 0, 0])
        rotate([90, 0, 90])
            linear_extrude(thickness)
                polygon([[0, 0], [depth * 0.6, 0], [0, height * 0.6]]);
}

union() {
    wall_plate();
    shelf_plate();
    if (gusset) brace();
}
