// A small box with a friction-fit lid, printed side by side on the bed.
// Set part = "box" or "lid" to print only one of them.
length = 24;       // outside, mm
width = 16;        // outside, mm
height = 8;        // outside, without the lid, mm
wall = 1.6;        // wall and floor thickness, mm
lid_height = 3;    // lid rim depth, mm
clearance = 0.3;   // gap between lid rim and box wall, mm
part = "both";     // "both", "box" or "lid"

module rounded(l, w, h, r = 2) {
    hull() for (x = [r, l - r], y = [r, w - r]) translate([x, y, 0]) cylinder(r = r, h = h, $fn = 12);
}

module box() {
    difference() {
        rounded(length, width, height);
        translate([wall, wall, wall]) rounded(length - 2 * wall, width - 2 * wall, height, 1);
    }
}

module lid() {
    inner_l = length - 2 * wall - 2 * clearance;
    inner_w = width - 2 * wall - 2 * clearance;
    rounded(length, width, wall);
    translate([wall + clearance, wall + clearance, 0])
        difference() {
            rounded(inner_l, inner_w, lid_height, 1);
            translate([wall, wall, -1]) rounded(inner_l - 2 * wall, inner_w - 2 * wall, lid_height + 2, 0.5);
        }
}

if (part != "lid") box();
if (part != "box") translate([0, width + 5, 0]) lid();
